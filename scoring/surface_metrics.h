// Surface metrics of a segmentation against its truth, per class, in millimetres (docs/formats.md):
// HD95, ASSD, NSD at a tolerance, and the two volumes, from an exact Euclidean distance transform
// (Felzenszwalb and Huttenlocher's lower envelope of parabolas, separable, linear time) with the
// voxel spacing of each axis. Label maps are x fastest, as NIfTI stores them.
#pragma once

#include <cstdint>
#include <vector>

namespace unet3d {

struct Grid3 {
  std::int64_t nx = 1, ny = 1, nz = 1;
  double sx = 1, sy = 1, sz = 1;  // voxel spacing in mm
  std::int64_t voxels() const { return nx * ny * nz; }
};

// Squared distance in mm^2 from every voxel's centre to the nearest voxel of `features` (a
// mask), exactly; infinity everywhere when there is none.
std::vector<double> squared_distance_to(const std::vector<std::uint8_t>& features, const Grid3& g);

// The voxels of `mask` with at least one of their 6 face neighbours outside it (beyond the
// grid's edge counts as outside).
std::vector<std::uint8_t> surface_of(const std::vector<std::uint8_t>& mask, const Grid3& g);

// numpy.percentile's default (linear) rule: q in [0, 100] of `values` (sorted in place).
double percentile(std::vector<double>& values, double q);

struct ClassSurfaceScores {
  bool absent = false;                 // neither mask holds the class: no metrics
  double hd95 = 0, assd = 0, nsd = 0;  // one mask empty: hd95 and assd infinite, nsd 0
  double volume_pred_ml = 0, volume_true_ml = 0;
};

// The scores of class `c` of label maps `pred` and `truth` (one label per voxel) on grid `g`,
// NSD at `tolerance_mm`. Both distance directions are computed on the bounding box of the two
// masks only: every surface voxel lies in it, so the distances are those of the whole grid.
ClassSurfaceScores class_surface_scores(const std::uint8_t* pred, const std::uint8_t* truth,
                                        const Grid3& g, int c, double tolerance_mm);

}  // namespace unet3d
