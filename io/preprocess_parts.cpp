// The pieces both preprocessing modes share.
#include "io/preprocess_parts.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "io/nifti_geometry.h"
#include "kernels/resize.h"
#include "runtime/log.h"

namespace unet3d::preprocess_parts {
namespace fs = std::filesystem;
namespace {

std::uint64_t fnv1a(std::uint64_t h, const std::string& s) {
  for (const unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
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

}  // namespace

std::string cache_key(const DatasetIndex& index, const std::string& target, int num_classes) {
  std::uint64_t h = 14695981039346656037ull;
  h = fnv1a(h, concat(kPreprocessVersion, "|", target, "|", num_classes));
  for (const CasePaths& c : index.cases) {
    std::vector<std::string> paths = c.images;
    paths.push_back(c.label);
    for (const std::string& path : paths) {
      const auto absolute = fs::absolute(path).string();
      h = fnv1a(h, concat("|", absolute, "|", fs::file_size(path), "|",
                          fs::last_write_time(path).time_since_epoch().count()));
    }
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

fs::path cache_file(const CacheOptions& options, const DatasetIndex& index,
                    const std::string& target, int num_classes) {
  if (!options.enabled) return {};
  return cache_folder(options) / (cache_key(index, target, num_classes) + ".safetensors");
}

int class_limit(const DatasetIndex& index, int num_classes) {
  return num_classes > 0 ? num_classes : static_cast<int>(index.class_names.size());
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

std::vector<CaseInfo> case_infos(const DatasetIndex& index) {
  std::vector<CaseInfo> cases;
  for (const CasePaths& c : index.cases)
    cases.push_back({c.name, c.patient, c.images, c.label, {}});
  return cases;
}

void use_paths_of(const DatasetIndex& index, std::vector<CaseInfo>& cases) {
  for (std::size_t i = 0; i < cases.size() && i < index.cases.size(); ++i)
    cases[i].image_paths = index.cases[i].images, cases[i].label_path = index.cases[i].label;
}

std::string normalization_key(const Normalization& normalization) {
  return has_ct(normalization)
             ? " " + normalization_text(normalization,
                                        static_cast<std::int64_t>(normalization.size()))
             : "";
}

int prepare_case(const LoadedCase& loaded, CaseInfo& info, int num_classes, Tensor& image_out,
                 Tensor& labels_out, const Normalization& normalization) {
  const NiftiGeometry& g = loaded.image.geometry;
  const std::string source = info.image_paths.empty() ? info.name : info.image_paths.front();
  const int top =
      loaded.labels.empty() ? 0 : *std::max_element(loaded.labels.begin(), loaded.labels.end());
  if (num_classes > 0 && top >= num_classes)
    throw_error(ErrorKind::data,
                concat(info.label_path.empty() ? info.name : info.label_path, ": label ", top,
                       " is outside the classes [0, ", num_classes, ")"),
                __FILE__, __LINE__);
  const Shape native{1, g.nz, g.ny, g.nx, 1};
  const Device work = image_out.device();
  const Tensor labels =
      Tensor::view(const_cast<std::uint8_t*>(loaded.labels.data()), native, DType::u8, Device::cpu)
          .to(work);
  preprocess_channels(loaded.image, image_out, source, normalization);
  resize_nearest(labels, labels_out);
  info.geometry = g;
  return top;
}

void warn_odd_orientations(const std::vector<CaseInfo>& cases) {
  std::map<std::string, std::vector<std::string>> by_orientation;
  for (const CaseInfo& c : cases)
    by_orientation[orientation_of(c.geometry)].push_back(
        c.image_paths.empty() ? c.name : c.image_paths.front());
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

}  // namespace unet3d::preprocess_parts
