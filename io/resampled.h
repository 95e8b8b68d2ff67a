// Patch mode's preprocessing (docs/data.md): each image resampled to a target voxel spacing
// (trilinear, then the per-volume z-score) and its labels alike (nearest), each volume keeping
// its own resampled grid, cached on disk as resize mode's are (the key names the spacing). The
// volumes stay on the host: training cuts patches from them, inference slides windows over them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/patch_plan.h"
#include "io/preprocess.h"

namespace unet3d {

struct ResampledVolume {
  Grid grid;                         // (d, h, w) at the target spacing
  std::vector<float> image;          // [d][h][w][channels], each channel z-scored
  std::vector<std::uint8_t> labels;  // [d][h][w]
};

struct ResampledDataset {
  Spacing spacing{};  // the target, mm along (z, y, x)
  std::int64_t channels = 1;
  int num_classes = 0;
  std::vector<std::string> class_names;
  std::vector<CaseInfo> cases;
  std::vector<ResampledVolume> volumes;  // one per case
};

// A native grid's voxel size, mm along (z, y, x).
Spacing spacing_of(const NiftiGeometry& g);
// The grid of `g` at spacing `target` (resampled_grid's rule).
Grid resampled_grid_of(const NiftiGeometry& g, const Spacing& target);

// Every case of `index` at spacing `target`, through the cache; num_classes as
// preprocess_dataset's. `work` is where resampling runs.
ResampledDataset resample_dataset(const DatasetIndex& index, const Spacing& target, int num_classes,
                                  Device work, const CacheOptions& cache,
                                  PreprocessReport* report = nullptr,
                                  const Normalization& normalization = {});

// The same from cases in memory (generated phantoms), as preprocess_cases.
ResampledDataset resample_cases(std::vector<CaseInfo> cases,
                                const std::function<LoadedCase(std::size_t)>& load,
                                const Spacing& target, int num_classes,
                                const std::vector<std::string>& class_names, Device work,
                                const Normalization& normalization = {});

// One image (its channels one after the other, x fastest) at spacing `target`, each channel
// normalised (preprocess_channels), on the host as [d][h][w][channels]; NaN or inf is a data
// Error naming `source`.
std::vector<float> resampled_image(const NiftiVolume& volume, const Spacing& target, Device work,
                                   const std::string& source,
                                   const Normalization& normalization = {});

}  // namespace unet3d
