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
  // The XDG rule: a relative XDG_CACHE_HOME is ignored. A relative HOME is no home either (the
  // cache must never land in the current folder, which may be the data's).
  const auto absolute = [](const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && fs::path(value).is_absolute() ? fs::path(value) : fs::path();
  };
  if (const fs::path xdg = absolute("XDG_CACHE_HOME"); !xdg.empty()) return xdg / "unet3d";
  if (const fs::path home = absolute("HOME"); !home.empty()) return home / ".cache" / "unet3d";
  return {};
}

fs::path cache_file(const CacheOptions& options, const DatasetIndex& index,
                    const std::string& target, int num_classes) {
  if (!options.enabled) return {};
  const fs::path folder = cache_folder(options);
  if (folder.empty()) {
    log_warn("preprocessing is not cached: neither $XDG_CACHE_HOME nor $HOME is an absolute ",
             "folder (give --cache DIR to cache it)");
    return {};
  }
  return folder / (cache_key(index, target, num_classes) + ".safetensors");
}

int class_limit(const DatasetIndex& index, int num_classes) {
  return num_classes > 0 ? num_classes : static_cast<int>(index.class_names.size());
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
  resize_nearest({labels, labels_out});
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
