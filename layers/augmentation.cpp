// The --augment list, the per-sample draw, and the affine resample's geometry.
#include "layers/augmentation.h"

#include <cmath>
#include <numbers>
#include <sstream>
#include <vector>

#include "kernels/flip.h"
#include "runtime/error.h"

namespace unet3d {
namespace {

struct Named {
  const char* word;
  unsigned bit;
};
constexpr Named kNames[] = {
    {"rotate", kAugmentRotate}, {"scale", kAugmentScale},           {"noise", kAugmentNoise},
    {"blur", kAugmentBlur},     {"brightness", kAugmentBrightness}, {"contrast", kAugmentContrast},
    {"lowres", kAugmentLowres}, {"gamma", kAugmentGamma},           {"flip", kAugmentFlip}};

// Rotation by `angle` in the plane of axes a and b (row-major 3x3).
std::array<double, 9> plane_rotation(int a, int b, double angle) {
  std::array<double, 9> r{1, 0, 0, 0, 1, 0, 0, 0, 1};
  r[a * 3 + a] = std::cos(angle), r[a * 3 + b] = -std::sin(angle);
  r[b * 3 + a] = std::sin(angle), r[b * 3 + b] = std::cos(angle);
  return r;
}

std::array<double, 9> product(const std::array<double, 9>& x, const std::array<double, 9>& y) {
  std::array<double, 9> z{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) z[i * 3 + j] += x[i * 3 + k] * y[k * 3 + j];
  return z;
}

}  // namespace

unsigned parse_augmentations(const std::string& list, const std::string& flag) {
  if (list == "none") return 0;
  if (list == "nnunet") return kAugmentAll;
  unsigned set = 0;
  std::istringstream in(list);
  for (std::string word; std::getline(in, word, ',');) {
    unsigned bit = 0;
    for (const Named& n : kNames)
      if (word == n.word) bit = n.bit;
    if (bit == 0)
      throw Error(ErrorKind::usage,
                  concat(flag, ": '", word, "' in '", list,
                         "' is not one of rotate, scale, noise, blur, brightness, contrast, "
                         "lowres, gamma, flip (or the whole list none or nnunet)"));
    set |= bit;
  }
  if (set == 0) throw Error(ErrorKind::usage, concat(flag, ": '", list, "' names no transform"));
  return set;
}

std::string augmentation_names(unsigned set) {
  std::string text;
  for (const Named& n : kNames)
    if (set & n.bit) text += (text.empty() ? "" : ",") + std::string(n.word);
  return text.empty() ? "none" : text;
}

bool Augmentation::any() const {
  return spatial || noise_sigma > 0 || blur_sigma > 0 || brightness != 1 || contrast != 1 ||
         lowres != 1 || inverted_gamma > 0 || gamma > 0 || flips != 0;
}

Augmentation draw_augmentation(unsigned set, std::uint64_t seed, std::int64_t epoch,
                               std::int64_t sample) {
  using R = AugmentRecipe;
  Rng rng(seed ^ (static_cast<std::uint64_t>(epoch) << 40) ^ static_cast<std::uint64_t>(sample));
  Augmentation a;
  const unsigned flips = random_flip_axes(rng);
  if (set & kAugmentFlip) a.flips = flips;
  // The coin of a transform, then its parameter(s): drawn whether the transform is on or not,
  // so that the draws of one transform do not depend on which others are listed.
  const auto on = [&](unsigned bit, double p) { return rng.uniform() < p && (set & bit) != 0; };
  const double max_angle = R::max_angle_degrees * std::numbers::pi / 180;
  const bool rotate = on(kAugmentRotate, R::rotate);
  for (double& angle : a.angles) angle = rng.uniform(-max_angle, max_angle);
  if (!rotate) a.angles = {0, 0, 0};
  const bool scale = on(kAugmentScale, R::scale);
  const double factor = rng.uniform(R::min_scale, R::max_scale);
  if (scale) a.scale = factor;
  a.spatial = rotate || scale;
  const bool noise = on(kAugmentNoise, R::noise);
  const auto noise_sigma = static_cast<float>(rng.uniform(0, R::max_noise_sigma));
  const std::uint64_t noise_seed = rng.next_u64();
  if (noise) a.noise_sigma = noise_sigma, a.noise_seed = noise_seed;
  const bool blur = on(kAugmentBlur, R::blur);
  const auto blur_sigma = static_cast<float>(rng.uniform(R::min_blur_sigma, R::max_blur_sigma));
  if (blur) a.blur_sigma = blur_sigma;
  const bool brightness = on(kAugmentBrightness, R::brightness);
  const auto brightness_factor = static_cast<float>(rng.uniform(R::min_factor, R::max_factor));
  if (brightness) a.brightness = brightness_factor;
  const bool contrast = on(kAugmentContrast, R::contrast);
  const auto contrast_factor = static_cast<float>(rng.uniform(R::min_factor, R::max_factor));
  if (contrast) a.contrast = contrast_factor;
  const bool lowres = on(kAugmentLowres, R::lowres);
  const auto lowres_factor = static_cast<float>(rng.uniform(1, R::max_lowres_factor));
  if (lowres) a.lowres = lowres_factor;
  const bool inverted = on(kAugmentGamma, R::inverted_gamma);
  const auto inverted_gamma = static_cast<float>(rng.uniform(R::min_gamma, R::max_gamma));
  if (inverted) a.inverted_gamma = inverted_gamma;
  const bool gamma = on(kAugmentGamma, R::gamma);
  const auto gamma_value = static_cast<float>(rng.uniform(R::min_gamma, R::max_gamma));
  if (gamma) a.gamma = gamma_value;
  return a;
}

std::array<double, 9> rotation_matrix(const std::array<double, 3>& angles) {
  std::array<double, 9> r =
      product(plane_rotation(1, 2, angles[0]),
              product(plane_rotation(0, 2, angles[1]), plane_rotation(0, 1, angles[2])));
  for (double& v : r)
    for (const double exact : {-1.0, 0.0, 1.0})
      if (std::abs(v - exact) < 1e-12) v = exact;
  return r;
}

SamplingMatrix sampling_matrix(const Augmentation& a) {
  const std::array<double, 9> r = rotation_matrix(a.angles);
  SamplingMatrix m{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) m.m[i * 3 + j] = static_cast<float>(r[j * 3 + i] / a.scale);
  return m;
}

Grid source_region(const SamplingMatrix& m, Grid patch) {
  const std::array<std::int64_t, 3> p{patch.d, patch.h, patch.w};
  std::array<std::int64_t, 3> r{};
  for (int i = 0; i < 3; ++i) {
    double reach = 0;  // how far from the centre the patch's corners sample along axis i
    for (int j = 0; j < 3; ++j)
      reach += std::abs(m.m[i * 3 + j]) * 0.5 * static_cast<double>(p[j] - 1);
    const double beyond = std::ceil(reach - 0.5 * static_cast<double>(p[i] - 1) - 1e-9);
    r[i] = p[i] + 2 * (static_cast<std::int64_t>(std::max(0.0, beyond)) + 1);
  }
  return {r[0], r[1], r[2]};
}

Grid lowres_grid(Grid grid, float factor) {
  const auto coarse = [&](std::int64_t n) {
    return std::max<std::int64_t>(1, std::llround(static_cast<double>(n) / factor));
  };
  return {coarse(grid.d), coarse(grid.h), coarse(grid.w)};
}

}  // namespace unet3d
