// Writing and reading the preprocessing cache's files, and whether an entry is stale.
#include "io/cache_file.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "io/json.h"
#include "io/nifti_geometry.h"
#include "io/preprocess_parts.h"
#include "runtime/error.h"

namespace unet3d {
namespace fs = std::filesystem;
using namespace preprocess_parts;
namespace {

// Beyond these a cache's numbers are not a dataset this project could have written.
constexpr std::int64_t kMaxSide = std::int64_t{1} << 16, kMaxChannels = 1024, kMaxClasses = 256;

// The cases (names, paths, native geometry) and class names as metadata, and back.
std::string names_json(const std::vector<std::string>& names) {
  std::string text = "[";
  for (const std::string& n : names) text += concat(text.size() > 1 ? "," : "", json::quote(n));
  return text + "]";
}

std::vector<std::string> names_of(const std::string& json_text, const std::string& source) {
  std::vector<std::string> names;
  for (const json::Value& n : json::parse(json_text, source).items) names.push_back(n.text);
  return names;
}

std::string geometry_json(const NiftiGeometry& g) {
  std::string srow;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) srow += concat(srow.empty() ? "" : ",", g.srow[r][c]);
  char buffer[512];
  std::snprintf(
      buffer, sizeof buffer,
      "[%lld,%lld,%lld,%.17g,%.17g,%.17g,%d,%d,%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g",
      static_cast<long long>(g.nx), static_cast<long long>(g.ny), static_cast<long long>(g.nz),
      g.dx, g.dy, g.dz, g.xyz_units, g.qform_code, g.sform_code, g.quatern_b, g.quatern_c,
      g.quatern_d, g.qfac, g.qoffset_x, g.qoffset_y, g.qoffset_z);
  return concat(buffer, ",", srow, "]");
}

NiftiGeometry geometry_of(const json::Value& v, const std::string& source) {
  if (v.items.size() != 28)
    throw_error(ErrorKind::data, concat(source, ": bad geometry"), __FILE__, __LINE__);
  const auto num = [&](std::size_t i) { return std::stod(v.items[i].text); };
  NiftiGeometry g;
  g.nx = v.items[0].as_int(source), g.ny = v.items[1].as_int(source),
  g.nz = v.items[2].as_int(source);
  g.dx = num(3), g.dy = num(4), g.dz = num(5);
  g.xyz_units = static_cast<int>(v.items[6].as_int(source));
  g.qform_code = static_cast<int>(v.items[7].as_int(source));
  g.sform_code = static_cast<int>(v.items[8].as_int(source));
  g.quatern_b = num(9), g.quatern_c = num(10), g.quatern_d = num(11), g.qfac = num(12);
  g.qoffset_x = num(13), g.qoffset_y = num(14), g.qoffset_z = num(15);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) g.srow[r][c] = num(16 + static_cast<std::size_t>(r * 4 + c));
  return g;
}

std::string cases_json(const std::vector<CaseInfo>& cases) {
  std::string text = "[";
  for (const CaseInfo& c : cases)
    text += concat(text.size() > 1 ? "," : "", "[", json::quote(c.name), ",",
                   json::quote(c.patient), ",", names_json(c.image_paths), ",",
                   json::quote(c.label_path), ",", geometry_json(c.geometry), "]");
  return text + "]";
}

std::vector<CaseInfo> cases_of(const std::string& json_text, const std::string& source) {
  std::vector<CaseInfo> cases;
  for (const json::Value& c : json::parse(json_text, source).items) {
    std::vector<std::string> images;
    for (const json::Value& path : c.items.at(2).items) images.push_back(path.text);
    cases.push_back({c.items.at(0).text, c.items.at(1).text, std::move(images), c.items.at(3).text,
                     geometry_of(c.items.at(4), source)});
  }
  return cases;
}

[[noreturn]] void bad(const std::string& source, const std::string& what) {
  throw_error(ErrorKind::data, concat(source, ": ", what), __FILE__, __LINE__);
}

std::int64_t bounded(const SafetensorsFile& file, const char* key, std::int64_t low,
                     std::int64_t high, const std::string& source) {
  const std::int64_t v = file.metadata_integer(key, source);
  if (v < low || v > high)
    bad(source, concat("metadata '", key, "' = ", v, " is outside [", low, ", ", high, "]"));
  return v;
}

// The metadata `key` parsed by `parse`; a data Error naming the file and key where it is missing
// or malformed (a hand-edited entry's JSON can hold anything).
template <typename Parse>
auto parsed(const SafetensorsFile& file, const char* key, const std::string& source, Parse parse) {
  const auto found = file.metadata.find(key);
  if (found == file.metadata.end()) bad(source, concat("metadata lacks '", key, "'"));
  try {
    return parse(found->second);
  } catch (const Error&) {
    throw;
  } catch (const std::exception&) {
    bad(source, concat("metadata '", key, "' is malformed"));
  }
}

// What both modes' metadata share; the classes, their names and the cases go into `d`.
template <typename Dataset>
void read_common(const SafetensorsFile& file, const std::string& source, Dataset& d) {
  const std::string format = file.metadata_or("format", "");
  if (format != kPreprocessVersion)
    bad(source, concat("format '", format, "' is not this version's (", kPreprocessVersion, ")"));
  d.num_classes = static_cast<int>(bounded(file, "num_classes", 2, kMaxClasses, source));
  d.class_names = parsed(file, "class_names", source,
                         [&](const std::string& text) { return names_of(text, source); });
  if (d.class_names.size() != static_cast<std::size_t>(d.num_classes))
    bad(source, concat(d.class_names.size(), " class names for ", d.num_classes, " classes"));
  d.cases = parsed(file, "cases", source,
                   [&](const std::string& text) { return cases_of(text, source); });
}

// The tensor `name` of `bytes` bytes, else a data Error.
const StoredTensor& sized(const SafetensorsFile& file, const char* name, std::uint64_t bytes,
                          const std::string& source) {
  const StoredTensor* t = file.find(name);
  if (t == nullptr || t->bytes.size() != bytes)
    bad(source, concat("cache tensor '", name, "' is missing or the wrong size"));
  return *t;
}

// Labels beyond the classes: a data Error (one pass over the bytes).
void check_labels(const std::vector<char>& bytes, int num_classes, const std::string& source) {
  const auto* first = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const std::uint8_t* top = std::max_element(first, first + bytes.size());
  if (top != first + bytes.size() && *top >= num_classes)
    bad(source, concat("a cached label is ", static_cast<int>(*top), ", outside the classes [0, ",
                       num_classes, ")"));
}

// a * b, a data Error where it overflows.
std::uint64_t product(std::uint64_t a, std::uint64_t b, const std::string& source) {
  std::uint64_t p = 0;
  if (__builtin_mul_overflow(a, b, &p)) bad(source, "the cache's sizes overflow");
  return p;
}

SafetensorsFile read_whole(const std::string& path) {
  SafetensorsFile file = read_safetensors(path);
  if (!file.header_checksum)
    bad(path, "the header has no CRC-32C (a cache file of an older version)");
  return file;
}

void write(const std::string& path, SafetensorsFile& file) {
  file.header_checksum = true;
  fs::create_directories(fs::path(path).parent_path());
  write_safetensors(path, file);
}

std::string grids_json(const std::vector<ResampledVolume>& volumes) {
  std::string text = "[";
  for (const ResampledVolume& v : volumes)
    text += concat(text.size() > 1 ? "," : "", "[", v.grid.d, ",", v.grid.h, ",", v.grid.w, "]");
  return text + "]";
}

}  // namespace

void write_cache_file(const std::string& path, const PreprocessedDataset& d,
                      const std::string& key) {
  SafetensorsFile file;
  file.metadata = {{"format", kPreprocessVersion},
                   {"key", key},
                   {"size", std::to_string(d.size)},
                   {"channels", std::to_string(d.channels())},
                   {"num_classes", std::to_string(d.num_classes)},
                   {"cases", cases_json(d.cases)},
                   {"class_names", names_json(d.class_names)}};
  const auto stored = [](const char* name, const Tensor& t, const char* dtype) {
    StoredTensor s{
        name, dtype, {t.shape().n, t.shape().d, t.shape().h, t.shape().w, t.shape().c}, {}};
    s.bytes.resize(t.bytes());
    std::memcpy(s.bytes.data(), t.data(), t.bytes());
    return s;
  };
  file.tensors.push_back(stored("images", d.images, "F32"));
  file.tensors.push_back(stored("labels", d.labels, "U8"));
  write(path, file);
}

// Every volume's image and labels end to end, in case order.
void write_cache_file(const std::string& path, const ResampledDataset& d, const std::string& key) {
  SafetensorsFile file;
  file.metadata = {{"format", kPreprocessVersion},
                   {"key", key},
                   {"spacing", xyz_text(d.spacing)},
                   {"channels", std::to_string(d.channels)},
                   {"num_classes", std::to_string(d.num_classes)},
                   {"cases", cases_json(d.cases)},
                   {"grids", grids_json(d.volumes)},
                   {"class_names", names_json(d.class_names)}};
  std::int64_t total = 0;
  for (const ResampledVolume& v : d.volumes) total += v.grid.voxels();
  StoredTensor images{"images", "F32", {total * d.channels}, {}},
      labels{"labels", "U8", {total}, {}};
  images.bytes.resize(static_cast<std::size_t>(total * d.channels) * sizeof(float));
  labels.bytes.resize(static_cast<std::size_t>(total));
  std::size_t at = 0;
  for (const ResampledVolume& v : d.volumes) {
    std::memcpy(images.bytes.data() + at * static_cast<std::size_t>(d.channels) * sizeof(float),
                v.image.data(), v.image.size() * sizeof(float));
    std::memcpy(labels.bytes.data() + at, v.labels.data(), v.labels.size());
    at += v.labels.size();
  }
  file.tensors.push_back(std::move(images));
  file.tensors.push_back(std::move(labels));
  write(path, file);
}

PreprocessedDataset resized_of(const SafetensorsFile& file, const std::string& source) {
  PreprocessedDataset d;
  read_common(file, source, d);
  d.size = bounded(file, "size", 1, kMaxSide, source);
  const std::int64_t channels = bounded(file, "channels", 1, kMaxChannels, source);
  const auto n = static_cast<std::int64_t>(d.cases.size());
  const auto side = static_cast<std::uint64_t>(d.size);
  const std::uint64_t voxels = product(product(product(side, side, source), side, source),
                                       static_cast<std::uint64_t>(n), source);
  const StoredTensor& images = sized(
      file, "images",
      product(product(voxels, static_cast<std::uint64_t>(channels), source), 4, source), source);
  const StoredTensor& labels = sized(file, "labels", voxels, source);
  check_labels(labels.bytes, d.num_classes, source);
  d.images = Tensor({n, d.size, d.size, d.size, channels}, DType::f32);
  d.labels = Tensor({n, d.size, d.size, d.size, 1}, DType::u8);
  std::memcpy(d.images.data(), images.bytes.data(), images.bytes.size());
  std::memcpy(d.labels.data(), labels.bytes.data(), labels.bytes.size());
  return d;
}

ResampledDataset resampled_of(const SafetensorsFile& file, const std::string& source) {
  ResampledDataset d;
  read_common(file, source, d);
  d.spacing = parsed(file, "spacing", source, [&](const std::string& text) {
    return spacing_of_xyz(text, source + " metadata 'spacing'");
  });
  d.channels = bounded(file, "channels", 1, kMaxChannels, source);
  const auto channels = static_cast<std::size_t>(d.channels);
  const json::Value grids = parsed(
      file, "grids", source, [&](const std::string& text) { return json::parse(text, source); });
  if (grids.items.size() != d.cases.size()) bad(source, "the cache's grids do not match its cases");
  std::uint64_t total = 0;
  for (const json::Value& g : grids.items) {
    if (g.items.size() != 3) bad(source, "a cache grid is not three numbers");
    ResampledVolume v;
    v.grid = {g.items[0].as_int(source), g.items[1].as_int(source), g.items[2].as_int(source)};
    for (const std::int64_t side : {v.grid.d, v.grid.h, v.grid.w})
      if (side < 1 || side > kMaxSide) bad(source, "a cache grid is empty or too large");
    if (__builtin_add_overflow(total, static_cast<std::uint64_t>(v.grid.voxels()), &total))
      bad(source, "the cache's sizes overflow");
    d.volumes.push_back(std::move(v));
  }
  const StoredTensor& images =
      sized(file, "images", product(product(total, channels, source), 4, source), source);
  const StoredTensor& labels = sized(file, "labels", total, source);
  check_labels(labels.bytes, d.num_classes, source);
  std::size_t at = 0;
  for (ResampledVolume& v : d.volumes) {
    const auto n = static_cast<std::size_t>(v.grid.voxels());
    v.image.resize(n * channels);
    std::memcpy(v.image.data(), images.bytes.data() + at * channels * sizeof(float),
                n * channels * sizeof(float));
    v.labels.assign(labels.bytes.begin() + static_cast<std::ptrdiff_t>(at),
                    labels.bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
  }
  return d;
}

PreprocessedDataset read_resized_cache(const std::string& path) {
  return resized_of(read_whole(path), path);
}

ResampledDataset read_resampled_cache(const std::string& path) {
  return resampled_of(read_whole(path), path);
}

std::string stale_difference(const std::vector<CaseInfo>& cases, std::int64_t channels,
                             int num_classes, const std::vector<std::string>& class_names,
                             const CacheExpectation& expected) {
  const DatasetIndex& index = *expected.index;
  if (cases.size() != index.cases.size())
    return concat("it holds ", cases.size(), " cases, the dataset ", index.cases.size());
  if (expected.num_classes > 0 && num_classes != expected.num_classes)
    return concat("it holds ", num_classes, " classes, ", expected.num_classes, " are asked for");
  if (!index.class_names.empty() &&
      class_names != class_names_or_numbered(index.class_names, num_classes))
    return "its class names are not the dataset's";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const CasePaths& source = index.cases[i];
    if (cases[i].name != source.name)
      return concat("its case ", i + 1, " is ", cases[i].name, ", the dataset's ", source.name);
    if (static_cast<std::size_t>(channels) != source.images.size())
      return concat("it holds ", channels, " channel(s), ", source.name, " has ",
                    source.images.size());
    const std::string grid =
        grid_difference(cases[i].geometry, read_nifti_geometry(source.images.front()));
    if (!grid.empty()) return concat(source.images.front(), " is no longer on its grid: ", grid);
  }
  return "";
}

}  // namespace unet3d
