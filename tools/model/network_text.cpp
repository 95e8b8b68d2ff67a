// The configurable network's settings as text.
#include "tools/model/network_text.h"

#include <algorithm>
#include <sstream>

#include "io/resampled.h"
#include "runtime/error.h"

namespace unet3d {

std::string sizes_text(const std::vector<Grid>& sizes) {
  std::string text;
  for (const Grid& g : sizes) text += (text.empty() ? "" : ";") + xyz_text(g);
  return text;
}

std::vector<Grid> sizes_of_text(const std::string& text, const std::string& what) {
  std::vector<Grid> sizes;
  if (text.empty()) return sizes;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ';');) {
    if (std::count(part.begin(), part.end(), ',') != 2)
      throw Error(ErrorKind::usage, concat(what, ": '", part, "' in '", text,
                                           "' is not an X,Y,Z triple (levels separated by ';')"));
    sizes.push_back(grid_of_xyz(part, what));
  }
  if (text.back() == ';')
    throw Error(ErrorKind::usage, concat(what, ": '", text, "' ends with ';'"));
  return sizes;
}

std::string kernel_sizes_text(const UNetConfig& c) {
  std::vector<Grid> sizes;
  for (std::int64_t level = 1; level <= c.depth + 1; ++level) sizes.push_back(c.kernel(level));
  return sizes_text(sizes);
}

std::string pool_sizes_text(const UNetConfig& c) {
  std::vector<Grid> sizes;
  for (std::int64_t level = 1; level <= c.depth; ++level) sizes.push_back(c.pool(level));
  return sizes_text(sizes);
}

const char* norm_word(NormKind norm) {
  return norm == NormKind::instance ? "instance" : "batch";
}

NormKind parse_norm(const std::string& word, const std::string& what) {
  if (word == "batch") return NormKind::batch;
  if (word == "instance") return NormKind::instance;
  throw Error(ErrorKind::usage, concat(what, ": '", word, "' is not one of batch, instance"));
}

const char* activation_word(Activation activation) {
  return activation == Activation::leaky_relu ? "leakyrelu" : "relu";
}

Activation parse_activation(const std::string& word, const std::string& what) {
  if (word == "relu") return Activation::relu;
  if (word == "leakyrelu") return Activation::leaky_relu;
  throw Error(ErrorKind::usage, concat(what, ": '", word, "' is not one of relu, leakyrelu"));
}

}  // namespace unet3d
