// Patch mode's preprocessing, its cache and the x,y,z triples.
#include "io/resampled.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>

#include "io/preprocess_parts.h"
#include "io/safetensors.h"
#include "runtime/interrupt.h"
#include "runtime/log.h"

namespace unet3d {
namespace fs = std::filesystem;
using namespace preprocess_parts;
namespace {

std::string grids_json(const std::vector<ResampledVolume>& volumes) {
  std::string text = "[";
  for (const ResampledVolume& v : volumes)
    text += concat(text.size() > 1 ? "," : "", "[", v.grid.d, ",", v.grid.h, ",", v.grid.w, "]");
  return text + "]";
}

// Every volume's image and labels end to end, in case order.
void write_cache(const fs::path& path, const ResampledDataset& d, const std::string& key) {
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
  fs::create_directories(path.parent_path());
  write_safetensors(path.string(), file);
}

ResampledDataset read_cache(const fs::path& path) {
  const std::string source = path.string();
  const SafetensorsFile file = read_safetensors(source);
  const auto bad = [&](const std::string& what) {
    throw_error(ErrorKind::data, concat(source, ": ", what), __FILE__, __LINE__);
  };
  ResampledDataset d;
  d.spacing = spacing_of_xyz(file.metadata.at("spacing"), source);
  d.channels = std::stoll(file.metadata.at("channels"));
  if (d.channels < 1) bad("the cache's channel count is not positive");
  const auto channels = static_cast<std::size_t>(d.channels);
  d.num_classes = std::stoi(file.metadata.at("num_classes"));
  d.class_names = names_of(file.metadata.at("class_names"), source);
  d.cases = cases_of(file.metadata.at("cases"), source);
  const json::Value grids = json::parse(file.metadata.at("grids"), source);
  if (grids.items.size() != d.cases.size()) bad("the cache's grids do not match its cases");
  std::int64_t total = 0;
  for (const json::Value& g : grids.items) {
    if (g.items.size() != 3) bad("a cache grid is not three numbers");
    ResampledVolume v;
    v.grid = {g.items[0].as_int(source), g.items[1].as_int(source), g.items[2].as_int(source)};
    if (v.grid.d < 1 || v.grid.h < 1 || v.grid.w < 1) bad("a cache grid is empty");
    total += v.grid.voxels();
    d.volumes.push_back(std::move(v));
  }
  const StoredTensor* images = file.find("images");
  const StoredTensor* labels = file.find("labels");
  if (images == nullptr || labels == nullptr ||
      images->bytes.size() != static_cast<std::size_t>(total) * channels * sizeof(float) ||
      labels->bytes.size() != static_cast<std::size_t>(total))
    bad("cache tensors 'images' and 'labels' are missing or the wrong size");
  std::size_t at = 0;
  for (ResampledVolume& v : d.volumes) {
    const auto n = static_cast<std::size_t>(v.grid.voxels());
    v.image.resize(n * channels);
    std::memcpy(v.image.data(), images->bytes.data() + at * channels * sizeof(float),
                n * channels * sizeof(float));
    v.labels.assign(labels->bytes.begin() + static_cast<std::ptrdiff_t>(at),
                    labels->bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
  }
  return d;
}

std::vector<double> positive_numbers(const std::string& xyz, const std::string& what) {
  std::vector<double> out;
  std::istringstream in(xyz);
  for (std::string part; std::getline(in, part, ',');) {
    std::istringstream one(part);
    double v = 0;
    if (!(one >> v) || !one.eof() || !(v > 0) || !std::isfinite(v))
      throw Error(ErrorKind::usage, concat(what, ": '", xyz, "' is not X,Y,Z of positive numbers"));
    out.push_back(v);
  }
  if (out.size() == 1) out = {out[0], out[0], out[0]};
  if (out.size() != 3)
    throw Error(ErrorKind::usage, concat(what, ": '", xyz, "' is not X,Y,Z (1 or 3 values)"));
  return out;
}

}  // namespace

Spacing spacing_of(const NiftiGeometry& g) {
  return {g.dz, g.dy, g.dx};
}

Grid resampled_grid_of(const NiftiGeometry& g, const Spacing& target) {
  return resampled_grid({g.nz, g.ny, g.nx}, spacing_of(g), target);
}

std::vector<float> resampled_image(const NiftiVolume& volume, const Spacing& target, Device work,
                                   const std::string& source, const Normalization& normalization) {
  const Grid grid = resampled_grid_of(volume.geometry, target);
  Tensor out({1, grid.d, grid.h, grid.w, volume.channels}, DType::f32, work);
  preprocess_channels(volume, out, source, normalization);
  const Tensor host = out.to(Device::cpu);
  return {host.data_as<float>(), host.data_as<float>() + host.numel()};
}

ResampledDataset resample_cases(std::vector<CaseInfo> cases,
                                const std::function<LoadedCase(std::size_t)>& load,
                                const Spacing& target, int num_classes,
                                const std::vector<std::string>& class_names, Device work,
                                const Normalization& normalization) {
  ResampledDataset d;
  d.spacing = target;
  int largest = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    stop_if_interrupted("preprocessing");
    const LoadedCase loaded = load(i);
    const Grid grid = resampled_grid_of(loaded.image.geometry, target);
    if (i == 0) d.channels = loaded.image.channels;  // every case's (discovery checks it)
    Tensor image({1, grid.d, grid.h, grid.w, loaded.image.channels}, DType::f32, work);
    Tensor labels({1, grid.d, grid.h, grid.w, 1}, DType::u8, work);
    largest = std::max(largest,
                       prepare_case(loaded, cases[i], num_classes, image, labels, normalization));
    const Tensor image_host = image.to(Device::cpu), labels_host = labels.to(Device::cpu);
    ResampledVolume v;
    v.grid = grid;
    v.image.assign(image_host.data_as<float>(), image_host.data_as<float>() + image_host.numel());
    v.labels.assign(labels_host.data_as<std::uint8_t>(),
                    labels_host.data_as<std::uint8_t>() + labels_host.numel());
    d.volumes.push_back(std::move(v));
  }
  d.cases = std::move(cases);
  warn_odd_orientations(d.cases);
  d.num_classes = num_classes > 0 ? num_classes : std::max(2, largest + 1);
  d.class_names = class_names_or_numbered(class_names, d.num_classes);
  return d;
}

ResampledDataset resample_dataset(const DatasetIndex& index, const Spacing& target, int num_classes,
                                  Device work, const CacheOptions& cache, PreprocessReport* report,
                                  const Normalization& normalization) {
  const auto start = std::chrono::steady_clock::now();
  PreprocessReport local;
  const int limit = class_limit(index, num_classes);
  const fs::path file = cache_file(
      cache, index, "patch " + xyz_text(target) + normalization_key(normalization), limit);
  return through_cache<ResampledDataset>(
      file, index, start, report ? *report : local, read_cache,
      [&] {
        return resample_cases(
            case_infos(index), [&](std::size_t i) { return load_case(index.cases[i], limit); },
            target, limit, index.class_names, work, normalization);
      },
      write_cache);
}

std::string xyz_text(const Spacing& zyx) {
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%.17g,%.17g,%.17g", zyx[2], zyx[1], zyx[0]);
  return buffer;
}

std::string xyz_text(Grid zyx) {
  return concat(zyx.w, ",", zyx.h, ",", zyx.d);
}

Spacing spacing_of_xyz(const std::string& xyz, const std::string& what) {
  const std::vector<double> v = positive_numbers(xyz, what);
  return {v[2], v[1], v[0]};
}

Grid grid_of_xyz(const std::string& xyz, const std::string& what) {
  const std::vector<double> v = positive_numbers(xyz, what);
  for (const double side : v)
    if (side != std::floor(side) || side > (1 << 16))
      throw Error(ErrorKind::usage,
                  concat(what, ": '", xyz, "' is not X,Y,Z of positive integers"));
  return {static_cast<std::int64_t>(v[2]), static_cast<std::int64_t>(v[1]),
          static_cast<std::int64_t>(v[0])};
}

}  // namespace unet3d
