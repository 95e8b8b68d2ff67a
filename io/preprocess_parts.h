// What both preprocessing modes share (io/preprocess.h resizes to S^3, io/resampled.h resamples
// to a target spacing): the cache's key, folder and case list, one case read and brought onto
// its target grid, and the warning about odd orientations.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/json.h"
#include "io/preprocess.h"
#include "runtime/log.h"

namespace unet3d::preprocess_parts {

// Bump when preprocessing's output changes, so old caches are not reused.
inline constexpr const char* kPreprocessVersion = "unet3d-preprocess-2";

// The cache file's stem: a hash of this code's version, `target` (the resize mode's size, or the
// patch mode's spacing), the classes and every input's absolute path, size and time.
std::string cache_key(const DatasetIndex& index, const std::string& target, int num_classes);
std::filesystem::path cache_folder(const CacheOptions& options);
// The cache file of `index` preprocessed for `target` with `num_classes`; empty when caching is
// off.
std::filesystem::path cache_file(const CacheOptions& options, const DatasetIndex& index,
                                 const std::string& target, int num_classes);
// The number of classes labels are checked against: --classes, else the dataset's names (0: any).
int class_limit(const DatasetIndex& index, int num_classes);

// The cases (names, paths, native geometry) and class names as cache metadata, and back.
std::string cases_json(const std::vector<CaseInfo>& cases);
std::vector<CaseInfo> cases_of(const std::string& json_text, const std::string& source);
std::string names_json(const std::vector<std::string>& names);
std::vector<std::string> names_of(const std::string& json_text, const std::string& source);

// The index's cases with their paths (geometry still empty), as preprocessing starts.
std::vector<CaseInfo> case_infos(const DatasetIndex& index);
// A cache read back carries the paths it was written with; the run's own are handed on.
void use_paths_of(const DatasetIndex& index, std::vector<CaseInfo>& cases);

// Case `info`, loaded as `loaded`, onto the grid of `image_out` (its channels) and `labels_out`
// (on one device): the image resampled trilinear and each channel normalised
// (preprocess_channels), the labels nearest. Checks a
// generated case's labels against num_classes (files are checked as they are read) and sets
// info.geometry. Returns the largest label.
int prepare_case(const LoadedCase& loaded, CaseInfo& info, int num_classes, Tensor& image_out,
                 Tensor& labels_out, const Normalization& normalization);

// What the cache key adds for `normalization`: nothing where every channel is z-scored per volume
// (the caches written before CT normalisation existed stay valid), else its text.
std::string normalization_key(const Normalization& normalization);

// Cases whose axes point elsewhere than most of the dataset's are trained on as they are
// (nothing is reoriented): each such orientation is named with its cases.
void warn_odd_orientations(const std::vector<CaseInfo>& cases);

// The dataset through the cache: read(file) where `file` holds a readable entry (an unreadable
// one is a warning, then made anew), else make(), written with write(file, dataset, key) (a
// failed write is a warning: a cache is an optimisation). An empty `file`: no cache. Fills
// `report`; `start` is when preprocessing began.
template <class Dataset, class Read, class Make, class Write>
Dataset through_cache(const std::filesystem::path& file, const DatasetIndex& index,
                      std::chrono::steady_clock::time_point start, PreprocessReport& report,
                      Read read, Make make, Write write) {
  const auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  report.cache_file = file.string();
  if (!file.empty() && std::filesystem::exists(file)) {
    try {
      Dataset d = read(file);
      use_paths_of(index, d.cases);
      report.from_cache = true;
      report.seconds = seconds();
      warn_odd_orientations(d.cases);
      return d;
    } catch (const Error& e) {
      log_warn("ignoring unreadable cache ", file.string(), ": ", e.what());
    }
  }
  Dataset d = make();
  if (!file.empty()) {
    try {
      write(file, d, file.stem().string());
    } catch (const std::exception& e) {
      log_warn("could not write the preprocessing cache ", file.string(), ": ", e.what());
    }
  }
  report.seconds = seconds();
  return d;
}

}  // namespace unet3d::preprocess_parts
