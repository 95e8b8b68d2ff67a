// The augmentation kernels: argument checks, dispatch, and the CPU instantiations.
#include "kernels/augment.h"

#include <cmath>

#include "kernels/augment_impl.h"
#include "kernels/check.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_AUGMENT_ENTRIES(UNET3D_GPU_ELSEWHERE)

namespace {

void check_image(const char* op, const Tensor& image) {
  UNET3D_USAGE_CHECK(image.dtype() == DType::f32, op, ": image ", image.describe(), " must be f32");
  UNET3D_USAGE_CHECK(image.numel() > 0, op, ": image ", image.describe(), " is empty");
}

void check_statistics(const char* op, const Tensor& image, const Tensor& stats) {
  check_image(op, image);
  const std::int64_t channels = image.shape().c;
  UNET3D_USAGE_CHECK(stats.dtype() == DType::f64 &&
                         stats.numel() == statistics_elements(channels) &&
                         stats.device() == image.device(),
                     op, ": statistics ", stats.describe(), " must be ",
                     statistics_elements(channels), " f64 elements on the image's device");
}

}  // namespace

void affine_resample(const AffineResampleArgs& a) {
  check_image("affine_resample", a.image);
  check_image("affine_resample", a.image_out);
  const Shape in = a.image.shape(), out = a.image_out.shape();
  UNET3D_USAGE_CHECK(
      a.labels.dtype() == DType::u8 && a.labels_out.dtype() == DType::u8 &&
          a.labels.shape() == in.with_channels(1) && a.labels_out.shape() == out.with_channels(1),
      "affine_resample: labels ", a.labels.describe(), " and ", a.labels_out.describe(),
      " must be u8 maps of the images' grids ", in.str(), " and ", out.str());
  UNET3D_USAGE_CHECK(in.n == out.n && in.c == out.c, "affine_resample: ", a.image.describe(),
                     " and ", a.image_out.describe(), " differ in items or channels");
  UNET3D_USAGE_CHECK(a.image.device() == a.labels.device() &&
                         a.image.device() == a.image_out.device() &&
                         a.image.device() == a.labels_out.device(),
                     "affine_resample: the tensors are on more than one device");
  UNET3D_RUN_ON_DEVICE_OF(a.image, affine_resample, a);
}

void add_gaussian_noise(const AddGaussianNoiseArgs& a) {
  check_image("add_gaussian_noise", a.image);
  UNET3D_RUN_ON_DEVICE_OF(a.image, add_gaussian_noise, a);
}

void gaussian_blur(const GaussianBlurArgs& a) {
  check_image("gaussian_blur", a.image);
  check_same_layout("gaussian_blur", {&a.image, &a.scratch});
  UNET3D_RUN_ON_DEVICE_OF(a.image, gaussian_blur, a, gaussian_taps(a.sigma));
}

GaussianTaps gaussian_taps(float sigma) {
  UNET3D_USAGE_CHECK(sigma > 0 && sigma <= 2, "gaussian_taps: sigma ", sigma, " is not in (0, 2]");
  GaussianTaps taps;
  taps.radius = static_cast<int>(4.0 * sigma + 0.5);
  double weights[2 * GaussianTaps::kMaxRadius + 1], sum = 0;
  for (int j = -taps.radius; j <= taps.radius; ++j)
    sum += weights[j + taps.radius] = std::exp(-0.5 * j * j / (static_cast<double>(sigma) * sigma));
  for (int j = 0; j <= 2 * taps.radius; ++j) taps.weight[j] = static_cast<float>(weights[j] / sum);
  return taps;
}

std::int64_t statistics_elements(std::int64_t channels) {
  return 3 * channels * (1 + augment_impl::kStatisticsPartials);
}

void intensity_statistics(const IntensityStatisticsArgs& a) {
  check_statistics("intensity_statistics", a.image, a.stats);
  UNET3D_RUN_ON_DEVICE_OF(a.image, intensity_statistics, a);
}

void adjust_contrast(const AdjustContrastArgs& a) {
  check_statistics("adjust_contrast", a.image, a.stats);
  UNET3D_RUN_ON_DEVICE_OF(a.image, adjust_contrast, a);
}

void adjust_gamma(const AdjustGammaArgs& a) {
  check_statistics("adjust_gamma", a.image, a.stats);
  UNET3D_USAGE_CHECK(a.gamma > 0, "adjust_gamma: gamma ", a.gamma, " must be positive");
  UNET3D_RUN_ON_DEVICE_OF(a.image, adjust_gamma, a);
}

}  // namespace unet3d
