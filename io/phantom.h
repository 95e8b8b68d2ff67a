// Synthetic pelvic MRI volumes that stand in for the HipMRI data (which is not available here):
// label 0 background, 1 body, 2 bone (pelvic ring, femoral heads), 3 bladder, 4 rectum,
// 5 prostate, with anatomy varied per patient and per week, int16 intensities with noise, a
// smooth bias field and blurred boundaries, and the original's imbalance (prostate ~0.2 %).
// A fixed field of view (410 x 410 x 320 mm) is sampled at the requested grid, so the class
// fractions do not depend on it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/nifti.h"

namespace unet3d {

struct PhantomCase {
  int patient = 1;           // Case_NNN
  int week = 0;              // WeekM
  std::string name() const;  // "Case_001_Week0"
};

struct Phantom {
  NiftiGeometry geometry;
  std::vector<std::int16_t> image;  // x fastest
  std::vector<std::uint8_t> labels;

  NiftiVolume image_volume() const;  // the image as a one-channel f32 volume
};

// The `count` cases of a dataset: patients from Case_001, one to four weeks each from Week0,
// drawn from `seed`.
std::vector<PhantomCase> phantom_cases(int count, std::uint64_t seed);

// The grid of every phantom of nx x ny x nz voxels: the field of view, centred on the origin.
NiftiGeometry phantom_geometry(std::int64_t nx, std::int64_t ny, std::int64_t nz);

// One volume on an nx x ny x nz grid; the same (case, seed) always gives the same volume.
Phantom make_phantom(const PhantomCase& c, std::int64_t nx, std::int64_t ny, std::int64_t nz,
                     std::uint64_t seed);

// Writes the HipMRI layout: out/semantic_MRs/<name>_LFOV.nii.gz and
// out/semantic_labels_only/<name>_SEMANTIC_LFOV.nii.gz. Returns per-class voxel counts.
std::vector<std::int64_t> write_phantom_dataset(const std::string& out, int count, std::int64_t nx,
                                                std::int64_t ny, std::int64_t nz,
                                                std::uint64_t seed);

}  // namespace unet3d
