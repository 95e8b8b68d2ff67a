// Comparing where volumes sit in space: the voxel-to-world map of a grid, whether two grids are
// the same (an image and its label must be), and a grid's orientation as axis codes ("RAS").
#pragma once

#include <string>

#include "io/nifti.h"

namespace unet3d {

// Millimetres for voxel sizes and origins, direction cosines for rotations: closer is the same.
inline constexpr double kSameGridMillimetres = 1e-3;
inline constexpr double kSameGridRotation = 1e-4;

// Voxel (i, j, k) to world millimetres, rows x, y, z: the sform where its code is set, else the
// qform where its code is set, else the voxel sizes alone (an ANALYZE-style file).
struct Affine {
  double m[3][4];
};
Affine affine_of(const NiftiGeometry& g);

// "" when `a` and `b` are the same grid: the same dimensions, and voxel sizes, origins and
// direction cosines within the tolerances above. Otherwise what differs first, with both values.
std::string grid_difference(const NiftiGeometry& a, const NiftiGeometry& b);

// A data Error naming `path` when the grid is flat (an axis of one voxel: a 2-D image), which a
// 3-D network cannot segment.
void require_volume(const std::string& path, const NiftiGeometry& g);

// The world direction each voxel axis points to, as three letters: "RAS", "LPS", ...
std::string orientation_of(const NiftiGeometry& g);

}  // namespace unet3d
