// A small learnable volume for training tests.
#include "tests/support/phantom.h"

#include <cmath>

#include "runtime/rng.h"

namespace unet3d::testing {

void fill_phantom(Tensor& image, Tensor& labels, std::uint64_t seed) {
  const Shape& s = image.shape();
  UNET3D_USAGE_CHECK(labels.shape() == s && s.c == 1, "fill_phantom: ", image.describe(), " and ",
                     labels.describe());
  Rng rng(seed);
  const auto centre = [](std::int64_t extent) { return static_cast<double>(extent) / 2; };
  for (std::int64_t i = 0; i < s.numel(); ++i) {
    const std::int64_t w = i % s.w, h = i / s.w % s.h, d = i / (s.w * s.h) % s.d,
                       n = i / s.spatial();
    const double r =
        std::hypot(static_cast<double>(d + n) - centre(s.d), static_cast<double>(h) - centre(s.h),
                   static_cast<double>(w) - centre(s.w));
    const int label =
        r < static_cast<double>(s.d) / 3 ? 1 : (d >= s.d * 2 / 3 && h < s.h / 3 ? 2 : 0);
    labels.data_as<std::uint8_t>()[i] = static_cast<std::uint8_t>(label);
    image.data_as<float>()[i] = static_cast<float>(label - 0.5 + 0.3 * rng.normal());
  }
}

}  // namespace unet3d::testing
