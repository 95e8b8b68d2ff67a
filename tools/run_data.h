// A training run's data: the dataset of --data preprocessed (through the cache), or phantoms
// generated in memory when no data is given, and each case's labels at native resolution for
// the final report.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "io/preprocess.h"
#include "tools/run_config.h"

namespace unet3d {

struct RunData {
  PreprocessedDataset host;
  // Case i's label map and image on its own grid, read again (or generated again) when asked.
  std::function<std::vector<std::uint8_t>(std::size_t)> native_labels;
  std::function<std::vector<float>(std::size_t)> native_image;
};

// Preprocessing runs on `work`.
RunData load_run_data(const RunConfig& config, Device work);

}  // namespace unet3d
