// Training's data augmentation, host-side (docs/model.md, Augmentation): the --augment list, the
// random draw of one sample's transforms and their parameters, the affine resample's matrix, and
// the region a patch must be cut from so that the rotated, scaled patch stays inside it. The
// transforms themselves run on the device through layers/augmenter.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "kernels/augment.h"
#include "runtime/rng.h"
#include "runtime/shape.h"

namespace unet3d {

// One bit per transform of the --augment list.
enum AugmentBit : unsigned {
  kAugmentRotate = 1u << 0,
  kAugmentScale = 1u << 1,
  kAugmentNoise = 1u << 2,
  kAugmentBlur = 1u << 3,
  kAugmentBrightness = 1u << 4,
  kAugmentContrast = 1u << 5,
  kAugmentLowres = 1u << 6,
  kAugmentGamma = 1u << 7,
  kAugmentFlip = 1u << 8,
  kAugmentAll = (1u << 9) - 1,
};

// The probability of each transform per sample (nnU-Net's), and its parameter ranges.
struct AugmentRecipe {
  static constexpr double rotate = 0.2, max_angle_degrees = 30;
  static constexpr double scale = 0.2, min_scale = 0.7, max_scale = 1.4;
  static constexpr double noise = 0.1, max_noise_sigma = 0.1;
  static constexpr double blur = 0.2, min_blur_sigma = 0.5, max_blur_sigma = 1.0;
  static constexpr double brightness = 0.15, contrast = 0.15, min_factor = 0.75, max_factor = 1.25;
  static constexpr double lowres = 0.25, max_lowres_factor = 2.0;
  static constexpr double gamma = 0.3, inverted_gamma = 0.1, min_gamma = 0.7, max_gamma = 1.5;
  // flip: each axis with probability 1/2 (kernels/flip.h)
};

// "none", "nnunet" (all of them) or a comma list of rotate, scale, noise, blur, brightness,
// contrast, lowres, gamma, flip; anything else is a usage Error naming `flag` and the word.
unsigned parse_augmentations(const std::string& list, const std::string& flag);
// The canonical text of a set: "none", or its words in the order above.
std::string augmentation_names(unsigned set);

// One sample's transforms; each field's neutral value means "not applied".
struct Augmentation {
  bool spatial = false;                   // rotate or scale drawn
  std::array<double, 3> angles{0, 0, 0};  // radians about the D, H and W axes
  double scale = 1;                       // > 1 magnifies the content
  float noise_sigma = 0;
  std::uint64_t noise_seed = 0;
  float blur_sigma = 0;
  float brightness = 1, contrast = 1;
  float lowres = 1;  // the downsampling factor
  float inverted_gamma = 0, gamma = 0;
  unsigned flips = 0;  // a FlipAxis mask

  bool any() const;
};

// The transforms of sample `sample` of epoch `epoch` (its position in the epoch's order, counted
// over the whole epoch), drawn from the run's seed alone, so a resumed run draws them again.
// Draws, in order: the flips (as random_flip_axes), then per transform of the recipe its coin
// and its parameters, whether or not the transform is in `set`.
Augmentation draw_augmentation(unsigned set, std::uint64_t seed, std::int64_t epoch,
                               std::int64_t sample);

// The rotation R = R_D(a_D) R_H(a_H) R_W(a_W) (R_D turns the H-W plane, and so on), entries
// within 1e-12 of 0, 1 or -1 snapped to them, so quarter turns are exact.
std::array<double, 9> rotation_matrix(const std::array<double, 3>& angles);
// The sampling matrix of the content rotated by R and magnified by `scale`: R^T / scale.
SamplingMatrix sampling_matrix(const Augmentation& a);
// The smallest grid whose centre-matched sampling by `m` for a `patch` output stays at least one
// voxel inside it: per axis the patch plus twice the margin that the rotated, scaled patch needs.
Grid source_region(const SamplingMatrix& m, Grid patch);
// lowres's coarse grid: per axis max(1, round(n / factor)).
Grid lowres_grid(Grid grid, float factor);

}  // namespace unet3d
