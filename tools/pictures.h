// The run's pictures: training curves from metrics.csv (plots/dice_mean.png,
// plots/dice_per_class.png, plots/loss.png) and, for the test set, the best and worst volume of
// each class and overall (test/best_class_<c>.png, ..., test/worst_global.png): axial, coronal
// and sagittal slices through the structure, ground truth and prediction overlaid side by side.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "tools/evaluator.h"

namespace unet3d {

// Redraws the three plots from run_folder/metrics.csv into run_folder/plots/.
void plot_metrics(const std::filesystem::path& run_folder,
                  const std::vector<std::string>& class_names);

// One volume at the network's size: the normalised image, ground truth and prediction, x fastest.
struct VolumeSlices {
  std::int64_t size = 0;
  std::vector<float> image;
  std::vector<std::uint8_t> truth, prediction;
};

// Picks, for each class and overall, the volume of highest and lowest Dice in `table` and draws
// it; `volume(v)` gives the v-th volume of the table.
void write_visualisations(const std::filesystem::path& test_folder, const DiceTable& table,
                          const std::function<VolumeSlices(std::size_t)>& volume);

}  // namespace unet3d
