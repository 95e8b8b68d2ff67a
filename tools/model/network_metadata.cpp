// §11's network settings in a model file's metadata and shapes.
#include "tools/model/network_metadata.h"

#include <algorithm>

#include "runtime/error.h"
#include "tools/model/network_text.h"

namespace unet3d {
namespace {

// What a file's settings say must be a network this version can build.
void check_network(const UNetConfig& c, const std::string& path) {
  try {
    c.check();
  } catch (const Error& e) {
    throw_error(ErrorKind::data, concat(path, ": it describes no valid network: ", e.what()),
                __FILE__, __LINE__);
  }
}

}  // namespace

bool is_original_model(const UNetConfig& c, const Normalization& normalization) {
  return c.is_original() && !has_ct(normalization);
}

void write_network_metadata(const UNetConfig& c, const Normalization& normalization,
                            std::map<std::string, std::string>& metadata) {
  if (is_original_model(c, normalization)) return;
  metadata["kernel_sizes"] = kernel_sizes_text(c);
  metadata["pool_sizes"] = pool_sizes_text(c);
  if (c.max_features > 0) metadata["max_features"] = std::to_string(c.max_features);
  metadata["norm"] = norm_word(c.norm);
  metadata["activation"] = activation_word(c.activation);
  metadata["deep_supervision"] = c.deep_supervision ? "true" : "false";
  metadata["normalization"] = normalization_text(normalization, c.in_channels);
}

void read_network_metadata(const SafetensorsFile& file, const std::string& path, UNetConfig& c,
                           Normalization& normalization) {
  const auto key = [&](const char* name) { return concat(path, ": metadata '", name, "'"); };
  try {
    c.kernel_sizes = sizes_of_text(file.metadata_or("kernel_sizes", ""), key("kernel_sizes"));
    c.pool_sizes = sizes_of_text(file.metadata_or("pool_sizes", ""), key("pool_sizes"));
    c.norm = parse_norm(file.metadata_or("norm", "batch"), key("norm"));
    c.activation = parse_activation(file.metadata_or("activation", "relu"), key("activation"));
    const std::string ds = file.metadata_or("deep_supervision", "false");
    if (ds != "true" && ds != "false")
      throw Error(ErrorKind::usage,
                  concat(key("deep_supervision"), ": '", ds, "' is not true or false"));
    c.deep_supervision = ds == "true";
    if (file.metadata.count("max_features")) {
      c.max_features = file.metadata_integer("max_features", path);
      if (c.max_features < 1)  // no cap is written as no key
        throw Error(ErrorKind::usage,
                    concat(key("max_features"), ": ", c.max_features, " (a positive cap)"));
    }
    // A file names each channel's (the flag's lone "zscore" for all is not enough here).
    const std::string text =
        file.metadata_or("normalization", normalization_text({}, c.in_channels));
    const auto entries = std::count(text.begin(), text.end(), ';') + 1;
    if (entries != c.in_channels)
      throw Error(ErrorKind::usage, concat(key("normalization"), ": ", entries,
                                           " entries for in_channels ", c.in_channels));
    normalization = parse_normalization(text, c.in_channels, key("normalization"));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::data) throw;
    throw_error(ErrorKind::data, e.what(), __FILE__, __LINE__);  // the file is at fault
  }
  check_network(c, path);
}

void read_network_shapes(const SafetensorsFile& file, const std::string& path, UNetConfig& c) {
  const auto dims = [&](const std::string& name) {
    const StoredTensor& t = file.require(name, path);
    if (t.shape.size() != 5)
      throw_error(ErrorKind::data, concat(path, ": '", name, "' is not 5-D"), __FILE__, __LINE__);
    return Grid{t.shape[2], t.shape[3], t.shape[4]};
  };
  std::vector<Grid> kernels, pools;
  for (std::int64_t i = 1; i <= c.depth; ++i) {
    kernels.push_back(dims(concat("enc", i, ".conv1.weight")));
    pools.push_back(dims(concat("up", i, ".weight")));
  }
  kernels.push_back(dims("bottleneck.conv1.weight"));
  const auto all = [](const std::vector<Grid>& sizes, std::int64_t side) {
    return std::all_of(sizes.begin(), sizes.end(),
                       [&](const Grid& g) { return g == Grid::cube(side); });
  };
  if (!all(kernels, 3)) c.kernel_sizes = kernels;
  if (!all(pools, 2)) c.pool_sizes = pools;
  const std::int64_t bottleneck = file.require("bottleneck.conv1.weight", path).shape[0];
  if (bottleneck < (c.init_features << c.depth)) c.max_features = bottleneck;
  if (!file.find("enc1.bn1.running_mean")) c.norm = NormKind::instance;
  c.deep_supervision = file.find("ds2.weight") != nullptr;
  check_network(c, path);
}

}  // namespace unet3d
