// The augmentation kernels of training (docs/model.md, Augmentation): a rotation and scaling as
// one affine resample, Gaussian noise, Gaussian blur, contrast and gamma, on f32 volumes
// [N, D, H, W, C] of either backend (lowres is two resizes, kernels/resize.h; brightness is
// elementwise.h's affine; flips are kernels/flip.h). Multiply-adds are written as fmaf, so that
// nvcc's contraction cannot make the GPU's bits differ from the CPU's; noise and gamma still go
// through logf, cosf and powf, whose last bit differs between the backends.
#pragma once

#include <cstdint>

#include "runtime/tensor.h"

namespace unet3d {

// Where an output voxel samples its source: q = centre(in) + m * (p - centre(out)), with p and q
// (d, h, w) voxel coordinates, centre(g) = (g - 1) / 2 per axis, m row-major.
struct SamplingMatrix {
  float m[9];
};

// image_out := image sampled trilinearly at q (zeros outside), labels_out := labels at the nearest
// voxel of q (label 0 outside); one matrix for every item and channel. image f32, labels u8 with
// one channel; the outputs on the same device, with the same N and C, any grid.
struct AffineResampleArgs {
  const Tensor &image, &labels;
  const SamplingMatrix& m;
  Tensor &image_out, &labels_out;
};
void affine_resample(const AffineResampleArgs& a);

// image[i] += sigma * z_i, z_i standard normal by Box-Muller from (seed, 2i) and (seed, 2i + 1)
// of the project's RNG (runtime/rng.h).
struct AddGaussianNoiseArgs {
  Tensor& image;
  float sigma;
  std::uint64_t seed;
};
void add_gaussian_noise(const AddGaussianNoiseArgs& a);

// The taps of a Gaussian of `sigma` voxels (0 < sigma <= 2) truncated at int(4 sigma + 0.5)
// voxels, normalised to sum 1: computed once on the host (in double), so both backends use the
// same weights.
struct GaussianTaps {
  static constexpr int kMaxRadius = 8;
  int radius = 0;
  float weight[2 * kMaxRadius + 1] = {};
};
GaussianTaps gaussian_taps(float sigma);

// image := image convolved along D, H and W with gaussian_taps(sigma), the edges mirrored
// (d c b a | a b c d, scipy's "reflect"). `scratch` has image's shape, dtype and device.
struct GaussianBlurArgs {
  Tensor &image, &scratch;
  float sigma;
};
void gaussian_blur(const GaussianBlurArgs& a);

// The number of f64 elements of the statistics workspace of an image of `channels` channels: 3
// results per channel, then the partial results.
std::int64_t statistics_elements(std::int64_t channels);
// stats ([statistics_elements(C)] f64, image's device) := per channel c of image's C, the mean,
// minimum and maximum of its elements in stats[3c], [3c + 1], [3c + 2], summed in a fixed order,
// so both backends give the same bits.
struct IntensityStatisticsArgs {
  const Tensor& image;
  Tensor& stats;
};
void intensity_statistics(const IntensityStatisticsArgs& a);

// image := clamp(mean + factor * (image - mean), min, max), each channel with its own mean,
// minimum and maximum from stats as intensity_statistics left it.
struct AdjustContrastArgs {
  Tensor& image;
  const Tensor& stats;
  float factor;
};
void adjust_contrast(const AdjustContrastArgs& a);

// With r = max(max - min, 1e-7): image := min + r * ((image - min) / r)^gamma, or, inverted,
// max - r * ((max - image) / r)^gamma (the gamma of the negated image), each channel with its own
// minimum and maximum from stats as intensity_statistics left it.
struct AdjustGammaArgs {
  Tensor& image;
  const Tensor& stats;
  float gamma;
  bool inverted;
};
void adjust_gamma(const AdjustGammaArgs& a);

}  // namespace unet3d
