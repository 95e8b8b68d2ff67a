// Patch mode's planning, host-side: the grid of a volume at the target spacing, the default
// target spacing and patch, and where the patches of one micro-batch are cut. Triples are
// (d, h, w) = (z, y, x) here; xyz_text and the *_of_xyz readers turn them to and from the
// user's x,y,z order.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/rng.h"
#include "runtime/shape.h"

namespace unet3d {

using Spacing = std::array<double, 3>;  // mm along (z, y, x)

// Per axis n' = max(1, floor(n * s / t + 0.5)): `grid` at `spacing` resampled to `target`.
Grid resampled_grid(Grid grid, const Spacing& spacing, const Spacing& target);

// The per-axis median of the spacings (the mean of the two middle ones for an even count).
Spacing median_spacing(const std::vector<Spacing>& spacings);

// The default patch: the per-axis median of the resampled grids, each rounded down to a multiple
// of that axis's `multiple` (the network's total pooling along it; at least that); then, while
// it holds more voxels than size^3 (the resize mode's input), the largest side that can shrinks
// by its multiple (ties: z, then y, then x).
Grid default_patch(const std::vector<Grid>& resampled, Grid multiple, std::int64_t size);

// One labelled volume to cut patches from: its grid and label map [d][h][w].
struct LabelledVolume {
  Grid grid;
  const std::uint8_t* labels;
};

// Where one patch is cut: from case `case_index`, at `start` in its volume padded to the patch
// (window_padding's zeros where it is smaller); `centre_class` is the foreground class whose
// voxel it was centred on, -1 for a patch placed anywhere.
struct PatchCut {
  std::int64_t case_index;
  Grid start;
  int centre_class;
};

// The b patches of one micro-batch: each from a case drawn at random; the last max(1,
// round(b / 3)) centred on a random voxel of a random foreground class present in the case (a
// case without foreground: placed anywhere), the others anywhere. A centred patch starts at its
// centre minus half the patch, clamped to [0, n - p] per axis. Draws from `rng`, in order: the
// case; then the class and the voxel, or the three starts.
std::vector<PatchCut> draw_patches(Rng& rng, std::int64_t batch,
                                   const std::vector<LabelledVolume>& cases, Grid patch,
                                   int classes);

// The voxel of the volume (of `grid`) under the first voxel of `cut`'s patch (its start is in
// padded coordinates).
Grid patch_origin(Grid grid, const PatchCut& cut, Grid patch);

// The region of `size` voxels from `origin` (volume coordinates, any sign) of volume `v` (its
// image [d][h][w][channels] beside it): image_out [size.d][size.h][size.w][channels] and
// labels_out [size.d][size.h][size.w], 0 and label 0 outside the volume.
void cut_region(const LabelledVolume& v, const float* image, std::int64_t channels, Grid origin,
                Grid size, float* image_out, std::uint8_t* labels_out);

// The patch of `cut`: cut_region from its patch_origin.
void cut_patch(const LabelledVolume& v, const float* image, std::int64_t channels,
               const PatchCut& cut, Grid patch, float* image_out, std::uint8_t* labels_out);

// "x,y,z" (the user's order) of a (z, y, x) triple, and back: a usage Error naming `what`
// unless the text is three positive numbers (a grid: integers; one number stands for all three).
std::string xyz_text(const Spacing& zyx);
std::string xyz_text(Grid zyx);
Spacing spacing_of_xyz(const std::string& xyz, const std::string& what);
Grid grid_of_xyz(const std::string& xyz, const std::string& what);

}  // namespace unet3d
