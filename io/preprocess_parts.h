// What both preprocessing modes share (io/preprocess.h resizes to S^3, io/resampled.h resamples
// to a target spacing): the cache's key and folder, one case read and brought onto
// its target grid, and the warning about odd orientations.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "io/cache_file.h"
#include "io/dataset.h"
#include "io/preprocess.h"
#include "runtime/atomic_file.h"
#include "runtime/log.h"

namespace unet3d::preprocess_parts {

// Bump when preprocessing's output changes, so old caches are not reused.
inline constexpr const char* kPreprocessVersion = "unet3d-preprocess-3";

// The cache file's stem: a hash of this code's version, `target` (the resize mode's size, or the
// patch mode's spacing), the classes and every input's absolute path, size and time.
std::string cache_key(const DatasetIndex& index, const std::string& target, int num_classes);
// --cache, else $XDG_CACHE_HOME/unet3d, else $HOME/.cache/unet3d, each only where absolute; empty
// where there is none.
std::filesystem::path cache_folder(const CacheOptions& options);
// The cache file of `index` preprocessed for `target` with `num_classes`; empty when caching is
// off or there is no cache folder (with a warning).
std::filesystem::path cache_file(const CacheOptions& options, const DatasetIndex& index,
                                 const std::string& target, int num_classes);
// The number of classes labels are checked against: --classes, else the dataset's names (0: any).
int class_limit(const DatasetIndex& index, int num_classes);

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

// What a dataset made from `cases` ends with: its cases (odd orientations named), its classes
// (num_classes, else the largest label seen + 1, at least 2) and their names.
template <class Dataset>
void finish_dataset(Dataset& d, std::vector<CaseInfo> cases, int num_classes, int largest,
                    const std::vector<std::string>& class_names) {
  d.cases = std::move(cases);
  warn_odd_orientations(d.cases);
  d.num_classes = num_classes > 0 ? num_classes : std::max(2, largest + 1);
  d.class_names = class_names_or_numbered(class_names, d.num_classes);
}

// Case i of a dataset's index, loaded.
using CaseLoader = std::function<LoadedCase(std::size_t)>;

// The dataset preprocessed for `target` (what the cache key names of the grid) through the
// cache: read(file) where the cache file holds a whole entry that stale(entry, expected) finds
// nothing wrong with ("" ; else why it no longer stands for the dataset), else make(cases, load,
// limit) from the index's cases, written to the file (write_cache_file). An unreadable or stale
// entry is a warning, then made anew; so is a failed write (a cache is an optimisation). No cache
// file (caching off): made. Fills `report` where given.
template <class Dataset, class Read, class Make, class Stale>
Dataset through_cache(const CacheOptions& options, const DatasetIndex& index,
                      const std::string& target, int num_classes,
                      const Normalization& normalization, PreprocessReport* report, Read read,
                      Make make, Stale stale_entry) {
  const auto start = std::chrono::steady_clock::now();
  PreprocessReport local;
  PreprocessReport& r = report != nullptr ? *report : local;
  const int limit = class_limit(index, num_classes);
  const std::filesystem::path file =
      cache_file(options, index, target + normalization_key(normalization), limit);
  const auto stale = [&](const Dataset& d) {
    return stale_entry(d, CacheExpectation{&index, limit});
  };
  const auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  r.cache_file = file.string();
  if (!file.empty() && std::filesystem::exists(file)) {
    std::optional<Dataset> cached;
    try {
      cached = read(file.string());
    } catch (const Error& e) {
      log_warn("ignoring unreadable cache ", file.string(), ": ", e.what());
    }
    // Outside the try: a source file that cannot be read is the data's error, not the cache's.
    if (const std::string why = cached ? stale(*cached) : ""; cached && !why.empty()) {
      log_warn("rebuilding the stale cache entry ", file.string(), ": ", why);
    } else if (cached) {
      use_paths_of(index, cached->cases);
      r.from_cache = true;
      r.seconds = seconds();
      warn_odd_orientations(cached->cases);
      return std::move(*cached);
    }
  }
  Dataset d =
      make(case_infos(index),
           CaseLoader([&](std::size_t i) { return load_case(index.cases[i], limit); }), limit);
  if (!file.empty()) {
    try {
      // What a killed run left half-written there: a day old, no live write is (no lock here).
      remove_partial_files(file.parent_path().string(), {".safetensors"}, std::chrono::hours(24));
      write_cache_file(file.string(), d, file.stem().string());
    } catch (const std::exception& e) {
      log_warn("could not write the preprocessing cache ", file.string(), ": ", e.what());
    }
  }
  r.seconds = seconds();
  return d;
}

}  // namespace unet3d::preprocess_parts
