// A training run's data: the dataset of --data preprocessed (through the cache), or phantoms
// generated in memory when no data is given, and each case's labels at native resolution for
// the final report.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/preprocess.h"
#include "io/resampled.h"
#include "tools/run/run_config.h"

namespace unet3d {

struct RunData {
  bool patch_mode = false;
  PreprocessedDataset host;    // resize mode: every case at S^3
  ResampledDataset resampled;  // patch mode: every case at the target spacing
  // Case i's label map and image (its first channel) on its own grid, read again (or generated
  // again) when asked.
  std::function<std::vector<std::uint8_t>(std::size_t)> native_labels;
  std::function<std::vector<float>(std::size_t)> native_image;
  Normalization normalization;  // each channel's (empty: z-scored per volume)
  std::string cache_file;       // the preprocessing cache entry read or written ("": none)

  // Whichever mode's, the same lists.
  const std::vector<CaseInfo>& cases() const { return patch_mode ? resampled.cases : host.cases; }
  const std::vector<std::string>& class_names() const {
    return patch_mode ? resampled.class_names : host.class_names;
  }
  int num_classes() const { return patch_mode ? resampled.num_classes : host.num_classes; }
  std::int64_t channels() const { return patch_mode ? resampled.channels : host.channels(); }
};

// Patch mode's target spacing when --spacing is not given, from the cases (their native geometry
// filled in, read from the headers) before any is preprocessed: the trainer splits them and
// takes its training cases' median.
using SpacingChoice = std::function<Spacing(const std::vector<CaseInfo>&)>;

// Preprocessing runs on `work`.
RunData load_run_data(const RunConfig& config, Device work, const SpacingChoice& choose_spacing);

// What the data resolved into `settings` where they say "auto" or nothing: the classes, and in
// patch mode the target spacing (%.17g: a resume reads back the same numbers) and `patch`.
void resolve_settings(RunSettings& settings, const RunData& data, Grid patch);
// The same for the log, with the preprocessing cache entry.
std::string resolved_text(const RunData& data, Grid patch);

}  // namespace unet3d
