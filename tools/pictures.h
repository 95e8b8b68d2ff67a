// The run's pictures: training curves from metrics.csv (plots/dice_mean.png,
// plots/dice_per_class.png, plots/loss.png) and, for the test set at native resolution, the best
// and worst volume of each foreground class among the cases whose truth holds it, and overall
// (test/best_class_<c>.png, ..., test/worst_global.png): axial, coronal and sagittal slices
// through the structure in millimetres, ground truth and prediction overlaid side by side, the
// case's Dice and HD95 in the title and the classes' colours in a legend.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "tools/case_scores.h"

namespace unet3d {

// Redraws the three plots from run_folder/metrics.csv into run_folder/plots/.
void plot_metrics(const std::filesystem::path& run_folder,
                  const std::vector<std::string>& class_names);

// One volume on its own grid: the image as read, ground truth and prediction, x fastest.
struct VolumeSlices {
  Grid3 grid;
  std::vector<float> image;
  std::vector<std::uint8_t> truth, prediction;
};

// Picks, for each foreground class and overall, the case of highest and lowest Dice in `scores`
// and draws it; `volume(v)` gives the table's v-th case.
void write_visualisations(const std::filesystem::path& test_folder, const CaseScoreTable& scores,
                          const std::function<VolumeSlices(std::size_t)>& volume);

}  // namespace unet3d
