// A dataset's fingerprint, what the plan is derived from (docs/model.md, The plan): every
// training case's native shape and spacing, each channel's intensities inside the foreground
// (label > 0) and each class's voxel count and presence.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/patch_plan.h"

namespace unet3d {

// numpy's figures of a sample: mean, std (ddof 0), and the 0.5 and 99.5 percentiles (linear
// interpolation between the closest ranks).
struct IntensityStats {
  double mean = 0, std = 0, p00_5 = 0, p99_5 = 0;
  std::int64_t samples = 0;
};
IntensityStats intensity_stats(const std::vector<float>& values);

// numpy.percentile's default: the value at rank q / 100 * (n - 1) of the sorted values, linear
// between the two closest ranks (q 50: the median). At least one value.
double percentile(std::vector<double> values, double q);

// At most this many foreground voxels per case and channel enter the intensity statistics: every
// k-th in voxel order, k = ceil(n / this), so a fingerprint repeats and its memory stays bounded.
inline constexpr std::int64_t kForegroundSamplesPerCase = 10000;

struct Fingerprint {
  std::vector<Grid> shapes;                 // native grids (z, y, x)
  std::vector<Spacing> spacings;            // mm along (z, y, x)
  std::vector<std::string> channel_names;   // dataset.json's, or empty
  std::vector<IntensityStats> intensities;  // per channel, over every case's foreground sample
  std::vector<std::int64_t> class_voxels;   // per class, over every case
  std::vector<std::int64_t> class_cases;    // per class, the cases it is present in
};

// The fingerprint of `count` cases, case i read by load(i), of `classes` classes (0: up to the
// largest label found, at least 2). The labels are checked as they are read (load's business).
Fingerprint fingerprint_cases(std::size_t count, const std::function<LoadedCase(std::size_t)>& load,
                              int classes, const std::vector<std::string>& channel_names);

// The fingerprint as a JSON object (triples x,y,z as every user-facing triple).
std::string fingerprint_json(const Fingerprint& f, const std::string& indent);

}  // namespace unet3d
