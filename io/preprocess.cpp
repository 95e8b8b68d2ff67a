// Preprocessing, its cache, residency and batch slots.
#include "io/preprocess.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>

#include "io/json.h"
#include "io/nifti_geometry.h"
#include "io/safetensors.h"
#include "kernels/elementwise.h"
#include "kernels/flip.h"
#include "kernels/reduce.h"
#include "kernels/resize.h"
#include "runtime/interrupt.h"
#include "runtime/log.h"

namespace unet3d {
namespace fs = std::filesystem;
namespace {

// Bump when preprocessing's output changes, so old caches are not reused.
constexpr const char* kPreprocessVersion = "unet3d-preprocess-1";

double scalar(const Tensor& t) {
  const Tensor host = t.to(Device::cpu);
  return host.dtype() == DType::f64 ? host.data_as<double>()[0] : host.data_as<float>()[0];
}

std::uint64_t fnv1a(std::uint64_t h, const std::string& s) {
  for (const unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string cache_key(const DatasetIndex& index, std::int64_t size, int num_classes) {
  std::uint64_t h = 14695981039346656037ull;
  h = fnv1a(h, concat(kPreprocessVersion, "|", size, "|", num_classes));
  for (const CasePaths& c : index.cases)
    for (const std::string& path : {c.image, c.label}) {
      const auto absolute = fs::absolute(path).string();
      h = fnv1a(h, concat("|", absolute, "|", fs::file_size(path), "|",
                          fs::last_write_time(path).time_since_epoch().count()));
    }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

fs::path cache_folder(const CacheOptions& options) {
  if (!options.dir.empty()) return options.dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "unet3d";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : ".") / ".cache" / "unet3d";
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

void write_cache(const fs::path& path, const PreprocessedDataset& d, const std::string& key) {
  SafetensorsFile file;
  std::string cases = "[";
  for (const CaseInfo& c : d.cases)
    cases += concat(cases.size() > 1 ? "," : "", "[", json::quote(c.name), ",",
                    json::quote(c.patient), ",", json::quote(c.image_path), ",",
                    json::quote(c.label_path), ",", geometry_json(c.geometry), "]");
  std::string names = "[";
  for (const std::string& n : d.class_names)
    names += concat(names.size() > 1 ? "," : "", json::quote(n));
  file.metadata = {{"format", kPreprocessVersion},   {"key", key},
                   {"size", std::to_string(d.size)}, {"num_classes", std::to_string(d.num_classes)},
                   {"cases", cases + "]"},           {"class_names", names + "]"}};
  const auto stored = [](const char* name, const Tensor& t, const char* dtype) {
    StoredTensor s{
        name, dtype, {t.shape().n, t.shape().d, t.shape().h, t.shape().w, t.shape().c}, {}};
    s.bytes.resize(t.bytes());
    std::memcpy(s.bytes.data(), t.data(), t.bytes());
    return s;
  };
  file.tensors.push_back(stored("images", d.images, "F32"));
  file.tensors.push_back(stored("labels", d.labels, "U8"));
  fs::create_directories(path.parent_path());
  write_safetensors(path.string(), file);
}

PreprocessedDataset read_cache(const fs::path& path) {
  const std::string source = path.string();
  const SafetensorsFile file = read_safetensors(source);
  PreprocessedDataset d;
  d.size = std::stoll(file.metadata.at("size"));
  d.num_classes = std::stoi(file.metadata.at("num_classes"));
  for (const json::Value& n : json::parse(file.metadata.at("class_names"), source).items)
    d.class_names.push_back(n.text);
  for (const json::Value& c : json::parse(file.metadata.at("cases"), source).items)
    d.cases.push_back({c.items.at(0).text, c.items.at(1).text, c.items.at(2).text,
                       c.items.at(3).text, geometry_of(c.items.at(4), source)});
  const auto tensor = [&](const char* name, DType dtype) {
    const StoredTensor* s = file.find(name);
    const Shape shape{static_cast<std::int64_t>(d.cases.size()), d.size, d.size, d.size, 1};
    if (s == nullptr || static_cast<std::int64_t>(s->bytes.size()) !=
                            shape.numel() * static_cast<std::int64_t>(dtype_size(dtype)))
      throw_error(ErrorKind::data,
                  concat(source, ": cache tensor '", name, "' is missing or the wrong size"),
                  __FILE__, __LINE__);
    Tensor t(shape, dtype);
    std::memcpy(t.data(), s->bytes.data(), s->bytes.size());
    return t;
  };
  d.images = tensor("images", DType::f32);
  d.labels = tensor("labels", DType::u8);
  return d;
}

// Cases whose axes point elsewhere than most of the dataset's are trained on as they are (nothing
// is reoriented): each such orientation is named with its cases.
void warn_odd_orientations(const std::vector<CaseInfo>& cases) {
  std::map<std::string, std::vector<std::string>> by_orientation;
  for (const CaseInfo& c : cases)
    by_orientation[orientation_of(c.geometry)].push_back(c.image_path.empty() ? c.name
                                                                              : c.image_path);
  if (by_orientation.size() < 2) return;
  const auto majority = std::max_element(
      by_orientation.begin(), by_orientation.end(),
      [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
  for (const auto& [orientation, names] : by_orientation) {
    if (orientation == majority->first) continue;
    std::string list;
    for (std::size_t k = 0; k < names.size() && k < 10; ++k) list += (k ? ", " : "") + names[k];
    log_warn(names.size(), " case(s) are oriented ", orientation, " where ",
             majority->second.size(), " are ", majority->first,
             " (used as they are, not reoriented): ", list, names.size() > 10 ? ", ..." : "");
  }
}

}  // namespace

Tensor PreprocessedDataset::image(std::size_t i) const {
  return images.item(static_cast<std::int64_t>(i));
}
Tensor PreprocessedDataset::label(std::size_t i) const {
  return labels.item(static_cast<std::int64_t>(i));
}

PreprocessedDataset PreprocessedDataset::to(Device device, DType dtype) const {
  PreprocessedDataset d;
  d.size = size, d.num_classes = num_classes, d.class_names = class_names, d.cases = cases;
  d.labels = labels.to(device);
  const Tensor moved = images.to(device);
  d.images = Tensor(images.shape(), dtype, device);
  cast(moved, d.images);
  return d;
}

void preprocess_image(const Tensor& image, Tensor& out, const std::string& source) {
  Tensor count(Shape::scalar(), DType::f64, image.device());
  count_nonfinite(image, count);
  if (const double bad = scalar(count); bad > 0)
    throw_error(ErrorKind::data, concat(source, ": ", bad, " voxels are NaN or infinite"), __FILE__,
                __LINE__);
  resize_trilinear(image, out);
  Tensor total(Shape::scalar(), DType::f64, out.device()),
      squares(Shape::scalar(), DType::f64, out.device());
  sum(out, total);
  sum_of_squares(out, squares);
  const auto n = static_cast<double>(out.numel());
  const double mean = scalar(total) / n;
  const double std = std::sqrt(std::max(scalar(squares) / n - mean * mean, 0.0));
  const double inv = 1.0 / std::max(std, 1e-8);
  affine(out, inv, -mean * inv, out);
}

PreprocessedDataset preprocess_dataset(const DatasetIndex& index, std::int64_t size,
                                       int num_classes, Device work, const CacheOptions& cache,
                                       PreprocessReport* report) {
  const auto start = std::chrono::steady_clock::now();
  PreprocessReport local;
  PreprocessReport& r = report ? *report : local;
  const int limit = num_classes > 0 ? num_classes : static_cast<int>(index.class_names.size());
  fs::path cache_file;
  if (cache.enabled) {
    cache_file = cache_folder(cache) / (cache_key(index, size, limit) + ".safetensors");
    r.cache_file = cache_file.string();
    if (fs::exists(cache_file)) {
      try {
        PreprocessedDataset d = read_cache(cache_file);
        // The key hashes absolute paths; the paths to hand on are this run's.
        for (std::size_t i = 0; i < d.cases.size() && i < index.cases.size(); ++i)
          d.cases[i].image_path = index.cases[i].image,
          d.cases[i].label_path = index.cases[i].label;
        r.from_cache = true;
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        warn_odd_orientations(d.cases);
        return d;
      } catch (const Error& e) {
        log_warn("ignoring unreadable cache ", cache_file.string(), ": ", e.what());
      }
    }
  }

  std::vector<CaseInfo> cases;
  for (const CasePaths& c : index.cases) cases.push_back({c.name, c.patient, c.image, c.label, {}});
  PreprocessedDataset d = preprocess_cases(
      std::move(cases), [&](std::size_t i) { return load_case(index.cases[i], limit); }, size,
      limit, index.class_names, work);
  if (cache.enabled) {
    try {
      write_cache(cache_file, d, cache_file.stem().string());
    } catch (const std::exception& e) {  // a cache is an optimisation: never fatal
      log_warn("could not write the preprocessing cache ", cache_file.string(), ": ", e.what());
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return d;
}

PreprocessedDataset preprocess_cases(std::vector<CaseInfo> cases,
                                     const std::function<LoadedCase(std::size_t)>& load,
                                     std::int64_t size, int num_classes,
                                     const std::vector<std::string>& class_names, Device work) {
  UNET3D_USAGE_CHECK(size >= 1, "--size: ", size, " (must be positive)");
  PreprocessedDataset d;
  d.size = size;
  const auto n = static_cast<std::int64_t>(cases.size());
  d.images = Tensor({n, size, size, size, 1}, DType::f32);
  d.labels = Tensor({n, size, size, size, 1}, DType::u8);
  int largest = 0;
  Tensor out_image({1, size, size, size, 1}, DType::f32, work);
  Tensor out_labels({1, size, size, size, 1}, DType::u8, work);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    stop_if_interrupted("preprocessing");
    LoadedCase c = load(i);
    const NiftiGeometry& g = c.image.geometry;
    const std::string source = cases[i].image_path.empty() ? cases[i].name : cases[i].image_path;
    const int top = c.labels.empty() ? 0 : *std::max_element(c.labels.begin(), c.labels.end());
    // Files were checked against the classes as they were read; generated cases are checked here.
    if (num_classes > 0 && top >= num_classes)
      throw_error(ErrorKind::data,
                  concat(cases[i].label_path.empty() ? cases[i].name : cases[i].label_path,
                         ": label ", top, " is outside the classes [0, ", num_classes, ")"),
                  __FILE__, __LINE__);
    const Shape native{1, g.nz, g.ny, g.nx, 1};
    Tensor image = Tensor::view(c.image.values.data(), native, DType::f32, Device::cpu).to(work);
    Tensor labels = Tensor::view(c.labels.data(), native, DType::u8, Device::cpu).to(work);
    preprocess_image(image, out_image, source);
    resize_nearest(labels, out_labels);
    Tensor image_slot = d.image(i), label_slot = d.label(i);
    image_slot.copy_from(out_image);
    label_slot.copy_from(out_labels);
    largest = std::max(largest, top);
    cases[i].geometry = g;
  }
  d.cases = std::move(cases);
  warn_odd_orientations(d.cases);
  d.num_classes = num_classes > 0 ? num_classes : std::max(2, largest + 1);
  d.class_names = class_names_or_numbered(class_names, d.num_classes);
  return d;
}

void copy_case(const PreprocessedDataset& data, std::size_t index, Tensor& image_slot,
               Tensor& label_slot, unsigned flip_axes) {
  const Tensor image = data.image(index), labels = data.label(index);
  if (flip_axes == 0) {
    copy(image, image_slot);
    copy(labels, label_slot);
  } else {
    flip(image, image_slot, flip_axes);
    flip(labels, label_slot, flip_axes);
  }
}

void copy_batch(const PreprocessedDataset& data, const std::vector<std::size_t>& cases,
                Tensor& images, Tensor& labels, const std::vector<unsigned>& flip_axes) {
  UNET3D_USAGE_CHECK(static_cast<std::int64_t>(cases.size()) == images.shape().n &&
                         (flip_axes.empty() || flip_axes.size() == cases.size()),
                     "copy_batch: ", cases.size(), " cases for ", images.describe());
  for (std::size_t b = 0; b < cases.size(); ++b) {
    Tensor image_slot = images.item(static_cast<std::int64_t>(b)),
           label_slot = labels.item(static_cast<std::int64_t>(b));
    copy_case(data, cases[b], image_slot, label_slot, flip_axes.empty() ? 0 : flip_axes[b]);
  }
}

}  // namespace unet3d
