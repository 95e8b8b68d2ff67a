// The augmentation kernels written once against an execution policy, on f32 volumes. Every
// multiply-add is an explicit fmaf (see augment.h).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/augment.h"
#include "kernels/backend.h"
#include "kernels/indexing.h"
#include "runtime/hd.h"
#include "runtime/rng.h"
#include "runtime/shape.h"

namespace unet3d::augment_impl {

// Partial results of intensity_statistics per channel: thread t of this many takes voxels t,
// t + P, ...
inline constexpr std::int64_t kStatisticsPartials = 4096;

// The sampling coordinate along one output axis: q = centre_in + m[r] . (p - centre_out).
UNET3D_HD inline float sample_coordinate(const float* row, float pd, float ph, float pw,
                                         float centre_in) {
  return fmaf(row[0], pd, fmaf(row[1], ph, fmaf(row[2], pw, centre_in)));
}

template <class Exec>
void affine_resample(const float* image, const std::uint8_t* labels, Shape in,
                     SamplingMatrix matrix, float* image_out, std::uint8_t* labels_out, Shape out) {
  const IndexMap voxels(out.with_channels(1));
  const Shape in_labels = in.with_channels(1);
  const float in_d = 0.5f * static_cast<float>(in.d - 1),
              in_h = 0.5f * static_cast<float>(in.h - 1),
              in_w = 0.5f * static_cast<float>(in.w - 1);
  const float out_d = 0.5f * static_cast<float>(out.d - 1),
              out_h = 0.5f * static_cast<float>(out.h - 1),
              out_w = 0.5f * static_cast<float>(out.w - 1);
  Exec::for_each(out.numel() / out.c, [=] UNET3D_HD_LAMBDA(std::int64_t v) {
    const Coordinates k = voxels.coordinates(v);
    const float pd = static_cast<float>(k.d) - out_d, ph = static_cast<float>(k.h) - out_h,
                pw = static_cast<float>(k.w) - out_w;
    const float q[3] = {sample_coordinate(matrix.m, pd, ph, pw, in_d),
                        sample_coordinate(matrix.m + 3, pd, ph, pw, in_h),
                        sample_coordinate(matrix.m + 6, pd, ph, pw, in_w)};
    const std::int64_t sizes[3] = {in.d, in.h, in.w};
    std::int64_t nearest[3], low[3];
    float frac[3];
    bool near_inside = true;
    for (int a = 0; a < 3; ++a) {
      nearest[a] = static_cast<std::int64_t>(floorf(q[a] + 0.5f));
      near_inside = near_inside && nearest[a] >= 0 && nearest[a] < sizes[a];
      const float f = floorf(q[a]);
      low[a] = static_cast<std::int64_t>(f);
      frac[a] = q[a] - f;
    }
    labels_out[v] = near_inside
                        ? labels[flat_index(in_labels, k.n, nearest[0], nearest[1], nearest[2], 0)]
                        : std::uint8_t{0};
    for (std::int64_t c = 0; c < in.c; ++c) {
      float sum = 0.0f;
      for (int corner = 0; corner < 8; ++corner) {
        const int step[3] = {corner >> 2, (corner >> 1) & 1, corner & 1};
        float weight = 1.0f;
        bool inside = true;
        std::int64_t at[3];
        for (int a = 0; a < 3; ++a) {
          at[a] = low[a] + step[a];
          inside = inside && at[a] >= 0 && at[a] < sizes[a];
          weight *= step[a] == 1 ? frac[a] : 1.0f - frac[a];
        }
        if (inside) sum = fmaf(weight, image[flat_index(in, k.n, at[0], at[1], at[2], c)], sum);
      }
      image_out[v * in.c + c] = sum;
    }
  });
}

template <class Exec>
void add_gaussian_noise(float* image, std::int64_t n, float sigma, std::uint64_t seed) {
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    const auto u = static_cast<std::uint64_t>(i) * 2;
    const float radius = sqrtf(-2.0f * logf(1.0f - uniform01(seed, u)));  // 1 - u is in (0, 1]
    const float z = radius * cosf(6.28318530717958647692f * uniform01(seed, u + 1));
    image[i] = fmaf(sigma, z, image[i]);
  });
}

// Index j of an axis of n voxels mirrored into [0, n): d c b a | a b c d | d c b a ...
UNET3D_HD inline std::int64_t reflect(std::int64_t j, std::int64_t n) {
  if (j >= 0 && j < n) return j;  // nearly every tap: no division
  const std::int64_t period = 2 * n;
  std::int64_t m = j % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

// y := x blurred along one axis (0 D, 1 H, 2 W) with the normalised taps (gaussian_taps).
template <class Exec>
void blur_axis(const float* x, float* y, Shape s, int axis, GaussianTaps taps) {
  const IndexMap map(s);
  Exec::for_each(s.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    const Coordinates k = map.coordinates(i);
    const std::int64_t along = axis == 0 ? k.d : axis == 1 ? k.h : k.w;
    const std::int64_t size = axis == 0 ? s.d : axis == 1 ? s.h : s.w;
    const std::int64_t stride = axis == 0 ? s.h * s.w * s.c : axis == 1 ? s.w * s.c : s.c;
    const float* line = x + (i - along * stride);
    float sum = 0.0f;
    for (int j = -taps.radius; j <= taps.radius; ++j)
      sum = fmaf(taps.weight[j + taps.radius], line[reflect(along + j, size) * stride], sum);
    y[i] = sum;
  });
}

// Per channel c of `channels` (x is [voxels][channels]): stats[3c .. 3c + 2] := mean, minimum,
// maximum; the partial results of channel c follow the 3 * channels results.
template <class Exec>
void intensity_statistics(const float* x, std::int64_t n, std::int64_t channels, double* stats) {
  constexpr std::int64_t P = kStatisticsPartials;
  const std::int64_t voxels = n / channels;
  double* sums = stats + 3 * channels;
  double* lows = sums + P * channels;
  double* highs = lows + P * channels;
  Exec::for_each(P * channels, [=] UNET3D_HD_LAMBDA(std::int64_t k) {
    const std::int64_t c = k / P, t = k % P;
    double sum = 0.0, low = INFINITY, high = -INFINITY;
    for (std::int64_t v = t; v < voxels; v += P) {
      const double value = x[v * channels + c];
      sum += value;
      low = value < low ? value : low;
      high = value > high ? value : high;
    }
    sums[k] = sum, lows[k] = low, highs[k] = high;
  });
  Exec::for_each(channels, [=] UNET3D_HD_LAMBDA(std::int64_t c) {
    double sum = 0.0, low = INFINITY, high = -INFINITY;
    for (std::int64_t k = c * P; k < (c + 1) * P; ++k) {
      sum += sums[k];
      low = lows[k] < low ? lows[k] : low;
      high = highs[k] > high ? highs[k] : high;
    }
    stats[3 * c] = sum / static_cast<double>(voxels), stats[3 * c + 1] = low,
              stats[3 * c + 2] = high;
  });
}

// Each element with its own channel's statistics (intensity_statistics).
template <class Exec>
void adjust_contrast(float* image, std::int64_t n, std::int64_t channels, const double* stats,
                     float factor) {
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    const double* own = stats + 3 * (i % channels);
    const auto mean = static_cast<float>(own[0]), low = static_cast<float>(own[1]),
               high = static_cast<float>(own[2]);
    const float v = fmaf(factor, image[i] - mean, mean);
    image[i] = v < low ? low : v > high ? high : v;
  });
}

template <class Exec>
void adjust_gamma(float* image, std::int64_t n, std::int64_t channels, const double* stats,
                  float gamma, bool inverted) {
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    const double* own = stats + 3 * (i % channels);
    const auto low = static_cast<float>(own[1]), high = static_cast<float>(own[2]);
    const float range = fmaxf(high - low, 1e-7f);
    image[i] = inverted ? fmaf(-range, powf((high - image[i]) / range, gamma), high)
                        : fmaf(range, powf((image[i] - low) / range, gamma), low);
  });
}

}  // namespace unet3d::augment_impl

// The entry points, per backend (kernels/backend.h): f32 images, u8 labels, f64 statistics.
namespace unet3d::backend {

template <class On>
void affine_resample(const AffineResampleArgs& a) {
  augment_impl::affine_resample<Exec<On>>(
      a.image.data_as<float>(), a.labels.data_as<std::uint8_t>(), a.image.shape(), a.m,
      a.image_out.data_as<float>(), a.labels_out.data_as<std::uint8_t>(), a.image_out.shape());
}

template <class On>
void add_gaussian_noise(const AddGaussianNoiseArgs& a) {
  augment_impl::add_gaussian_noise<Exec<On>>(a.image.data_as<float>(), a.image.numel(), a.sigma,
                                             a.seed);
}

template <class On>
void gaussian_blur(const GaussianBlurArgs& a, const GaussianTaps& taps) {
  float* x = a.image.data_as<float>();
  float* y = a.scratch.data_as<float>();
  augment_impl::blur_axis<Exec<On>>(x, y, a.image.shape(), 0, taps);
  augment_impl::blur_axis<Exec<On>>(y, x, a.image.shape(), 1, taps);
  augment_impl::blur_axis<Exec<On>>(x, y, a.image.shape(), 2, taps);
  Exec<On>::copy_bytes(x, y, a.image.bytes());
}

template <class On>
void intensity_statistics(const IntensityStatisticsArgs& a) {
  augment_impl::intensity_statistics<Exec<On>>(a.image.data_as<float>(), a.image.numel(),
                                               a.image.shape().c, a.stats.data_as<double>());
}

template <class On>
void adjust_contrast(const AdjustContrastArgs& a) {
  augment_impl::adjust_contrast<Exec<On>>(a.image.data_as<float>(), a.image.numel(),
                                          a.image.shape().c, a.stats.data_as<double>(), a.factor);
}

template <class On>
void adjust_gamma(const AdjustGammaArgs& a) {
  augment_impl::adjust_gamma<Exec<On>>(a.image.data_as<float>(), a.image.numel(), a.image.shape().c,
                                       a.stats.data_as<double>(), a.gamma, a.inverted);
}

}  // namespace unet3d::backend

#define UNET3D_AUGMENT_ENTRIES(X) \
  X(PLAIN, affine_resample)       \
  X(PLAIN, add_gaussian_noise)    \
  X(PLAIN, gaussian_blur)         \
  X(PLAIN, intensity_statistics) X(PLAIN, adjust_contrast) X(PLAIN, adjust_gamma)
