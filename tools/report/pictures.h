// The run's pictures: training curves from metrics.csv (plots/dice_mean.png,
// plots/dice_per_class.png, plots/loss.png) and, for the test set at native resolution, the best
// and worst volume of each foreground class among the cases whose truth holds it, and overall
// (test/best_class_<c>.png, ..., test/worst_global.png): axial, coronal and sagittal slices
// through the structure in millimetres, shown the radiological way (the patient's right on the
// screen's left, anterior and superior up, anterior on the left of a sagittal slice) with the
// patient's direction lettered at each edge and a scale bar, ground truth and prediction overlaid
// side by side, the case's Dice and HD95 in the title (wrapped, never cut) and the classes'
// colours in a legend.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "io/nifti.h"
#include "scoring/case_scores.h"

namespace unet3d {

// Redraws the three plots from run_folder/metrics.csv into run_folder/plots/.
void plot_metrics(const std::filesystem::path& run_folder,
                  const std::vector<std::string>& class_names);

// One volume on its own grid: the image as read, ground truth and prediction, x fastest, and the
// patient direction each voxel axis points to ("RAS", "LPS", ...: picture_orientation); any
// other text (unknown) shows the slices as for "RAS" lettered "?".
struct VolumeSlices {
  Grid3 grid;
  std::vector<float> image;
  std::vector<std::uint8_t> truth, prediction;
  std::string orientation = "";  // a default, so that callers may leave it out
};

// orientation_of(g) where the header sets a qform or sform; "" (unknown) where it sets neither,
// since a bare voxel grid says nothing of where the patient lies.
std::string picture_orientation(const NiftiGeometry& g);

// Where draw_slices puts things on its canvas, in pixels; a rectangle is {x, y, width, height}.
struct SlicesLayout {
  int width = 0, height = 0;  // the canvas
  int title_lines = 0;        // the title, wrapped to the canvas's width
  int title_bottom = 0;       // the title lies in the rows above this one
  double pixels_per_mm = 0;   // every slice's scale
  int bar_mm = 0;             // the scale bar's length in mm
  // The images of the slices by view (axial, coronal, sagittal) and column (truth, prediction).
  // Around each: its orientation letters (left, right, above and below the middle of each edge),
  // then under the bottom letter the scale bar starting at the image's left edge, its length
  // written after it.
  std::array<std::array<std::array<int, 4>, 2>, 3> slices{};
};
SlicesLayout slices_layout(const VolumeSlices& v, const std::string& title,
                           const std::vector<std::string>& classes);

// Draws the three slices of `v` through voxel `at` (x, y, z) to a PNG at `path`, as laid out by
// slices_layout: the title, the slices with their letters and scale bars, the classes' legend.
void draw_slices(const std::filesystem::path& path, const std::string& title, const VolumeSlices& v,
                 const std::array<std::int64_t, 3>& at, const std::vector<std::string>& classes);

// Picks, for each foreground class and overall (the mean Dice of a case's foreground classes,
// the background left out), the case of highest and lowest Dice in `scores` and draws it;
// `volume(v)` gives the table's v-th case. Where every case scores 0 no case is best: only the
// worst_ picture is written, its title saying that every case scores 0.
void write_visualisations(const std::filesystem::path& test_folder, const CaseScoreTable& scores,
                          const std::function<VolumeSlices(std::size_t)>& volume);

}  // namespace unet3d
