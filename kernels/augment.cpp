// The augmentation kernels: argument checks, dispatch, and the CPU instantiations.
#include "kernels/augment.h"

#include <cmath>

#include "kernels/augment_impl.h"
#include "kernels/check.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::affine_resample);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::add_gaussian_noise);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::gaussian_blur);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::intensity_statistics);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::adjust_contrast);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::adjust_gamma);

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

void affine_resample(const Tensor& image, const Tensor& labels, const SamplingMatrix& m,
                     Tensor& image_out, Tensor& labels_out) {
  check_image("affine_resample", image);
  check_image("affine_resample", image_out);
  const Shape in = image.shape(), out = image_out.shape();
  UNET3D_USAGE_CHECK(labels.dtype() == DType::u8 && labels_out.dtype() == DType::u8 &&
                         labels.shape() == in.with_channels(1) &&
                         labels_out.shape() == out.with_channels(1),
                     "affine_resample: labels ", labels.describe(), " and ", labels_out.describe(),
                     " must be u8 maps of the images' grids ", in.str(), " and ", out.str());
  UNET3D_USAGE_CHECK(in.n == out.n && in.c == out.c, "affine_resample: ", image.describe(), " and ",
                     image_out.describe(), " differ in items or channels");
  UNET3D_USAGE_CHECK(image.device() == labels.device() && image.device() == image_out.device() &&
                         image.device() == labels_out.device(),
                     "affine_resample: the tensors are on more than one device");
  UNET3D_RUN_ON_DEVICE_OF(image, backend::affine_resample, image, labels, m, image_out, labels_out);
}

void add_gaussian_noise(Tensor& image, float sigma, std::uint64_t seed) {
  check_image("add_gaussian_noise", image);
  UNET3D_RUN_ON_DEVICE_OF(image, backend::add_gaussian_noise, image, sigma, seed);
}

void gaussian_blur(Tensor& image, Tensor& scratch, float sigma) {
  check_image("gaussian_blur", image);
  check_same_layout("gaussian_blur", {&image, &scratch});
  UNET3D_RUN_ON_DEVICE_OF(image, backend::gaussian_blur, image, scratch, gaussian_taps(sigma));
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

void intensity_statistics(const Tensor& image, Tensor& stats) {
  check_statistics("intensity_statistics", image, stats);
  UNET3D_RUN_ON_DEVICE_OF(image, backend::intensity_statistics, image, stats);
}

void adjust_contrast(Tensor& image, const Tensor& stats, float factor) {
  check_statistics("adjust_contrast", image, stats);
  UNET3D_RUN_ON_DEVICE_OF(image, backend::adjust_contrast, image, stats, factor);
}

void adjust_gamma(Tensor& image, const Tensor& stats, float gamma, bool inverted) {
  check_statistics("adjust_gamma", image, stats);
  UNET3D_USAGE_CHECK(gamma > 0, "adjust_gamma: gamma ", gamma, " must be positive");
  UNET3D_RUN_ON_DEVICE_OF(image, backend::adjust_gamma, image, stats, gamma, inverted);
}

}  // namespace unet3d
