// Post-processing of a segmentation (docs/formats.md, Post-processing): per foreground class,
// only the largest 26-connected component is kept, the class's other voxels become background,
// as nnU-Net's "remove all but the largest component" does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/shape.h"

namespace unet3d {

// The 26-connected components of the voxels of `grid` ([d][h][w]) where mask is nonzero:
// component[v] is the component's number (0, 1, ... in the order of their first voxel in
// memory order), -1 outside the mask; `sizes` receives each component's voxel count.
std::vector<std::int32_t> connected_components(const std::uint8_t* mask, Grid grid,
                                               std::vector<std::int64_t>& sizes);

// For each class c in [1, classes) with apply[c]: the voxels of c outside its largest component
// (the first in memory order among equals) set to 0. `apply` has `classes` entries.
void keep_largest_components(std::uint8_t* labels, Grid grid, const std::vector<bool>& apply);

}  // namespace unet3d
