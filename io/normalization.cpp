// Each input channel's normalisation, and its text.
#include "io/normalization.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "runtime/error.h"

namespace unet3d {
namespace {

ChannelNormalization parse_entry(const std::string& entry, const std::string& what) {
  if (entry == "zscore") return {};
  const auto bad = [&](const std::string& why) {
    throw Error(ErrorKind::usage, concat(what, ": '", entry, "' ", why));
  };
  if (entry.rfind("ct:", 0) != 0) bad("is neither zscore nor ct:lo,hi,mean,std");
  std::vector<double> v;
  std::istringstream in(entry.substr(3));
  for (std::string part; std::getline(in, part, ',');) {
    std::istringstream one(part);
    double x = 0;
    if (!(one >> x) || !one.eof() || !std::isfinite(x)) bad("has a value that is not a number");
    v.push_back(x);
  }
  if (v.size() != 4) bad("is not ct:lo,hi,mean,std (4 numbers)");
  if (v[0] > v[1]) bad("has lo above hi");
  if (!(v[3] > 0)) bad("has a std that is not positive");
  return {true, v[0], v[1], v[2], v[3]};
}

std::string short_number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

}  // namespace

Normalization parse_normalization(const std::string& text, std::int64_t channels,
                                  const std::string& what) {
  if (text == "zscore") return {};
  Normalization n;
  for (std::size_t start = 0;;) {  // every entry, empty ones too ("a;" has two)
    const std::size_t end = text.find(';', start);
    const std::string entry = text.substr(start, end - start);
    if (entry.empty())
      throw Error(ErrorKind::usage, concat(what, ": '", text, "' has an empty entry"));
    n.push_back(parse_entry(entry, what));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (static_cast<std::int64_t>(n.size()) != channels)
    throw Error(ErrorKind::usage, concat(what, ": '", text, "' has ", n.size(), " entries for ",
                                         channels, " input channel(s)"));
  return n;
}

std::string normalization_text(const Normalization& n, std::int64_t channels) {
  std::string text;
  for (std::int64_t c = 0; c < channels; ++c) {
    const ChannelNormalization e = c < static_cast<std::int64_t>(n.size())
                                       ? n[static_cast<std::size_t>(c)]
                                       : ChannelNormalization{};
    text += c ? ";" : "";
    text += e.ct ? concat("ct:", short_number(e.lo), ",", short_number(e.hi), ",",
                          short_number(e.mean), ",", short_number(e.std))
                 : "zscore";
  }
  return text;
}

bool has_ct(const Normalization& n) {
  for (const ChannelNormalization& e : n)
    if (e.ct) return true;
  return false;
}

}  // namespace unet3d
