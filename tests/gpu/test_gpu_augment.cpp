// The augmentation kernels and a whole drawn augmentation on CUDA against the CPU. The resample,
// the blur (its taps computed on the host), the statistics and contrast do the same arithmetic on
// both sides (fmaf throughout) and must agree bit for bit; noise and gamma go through logf, cosf
// and powf, whose last bits differ between the backends, and are held to the f32 tolerance.
#include <catch2/catch.hpp>

#include "kernels/augment.h"
#include "kernels/elementwise.h"
#include "layers/augmentation.h"
#include "layers/augmenter.h"
#include "tests/support/require_parity.h"
#include "verify/parity.h"

using namespace unet3d;
using unet3d::testing::require_parity;

namespace {

const Shape kIn{1, 7, 6, 9, 2}, kOut{1, 5, 8, 6, 2};

Tensors image_and_labels(Shape shape, std::uint64_t seed) {
  Tensors t;
  t.push_back(random_tensor(shape, DType::f32, seed, -2.0f, 3.0f));
  t.push_back(random_labels(shape.with_channels(1), 6, seed + 1));
  return t;
}

}  // namespace

TEST_CASE("the affine resample matches the CPU bit for bit", "[parity][augment][memcheck]") {
  Augmentation a;
  a.spatial = true, a.angles = {0.4, -0.3, 0.25}, a.scale = 0.8;
  const SamplingMatrix m = sampling_matrix(a);
  require_parity(
      [&](const Tensors& in, Tensors& out) {
        affine_resample({in[0], in[1], m, out[0], out[1]});
      },
      image_and_labels(kIn, 1), {{kOut, DType::f32}, {kOut.with_channels(1), DType::u8}},
      Check::exact);
}

TEST_CASE("blur, statistics and contrast match the CPU bit for bit",
          "[parity][augment][memcheck]") {
  require_parity(
      [](const Tensors& in, Tensors& out) {
        Tensor scratch(in[0].shape(), DType::f32, out[0].device());
        copy({in[0], out[0]});
        gaussian_blur({out[0], scratch, 0.8f});
        intensity_statistics({out[0], out[1]});
        adjust_contrast({out[0], out[1], 1.2f});
      },
      image_and_labels({1, 40, 50, 60, 2}, 3),
      {{{1, 40, 50, 60, 2}, DType::f32}, {Shape::vector(statistics_elements(2)), DType::f64}},
      Check::exact);
}

TEST_CASE("noise and gamma match the CPU within the f32 tolerance", "[parity][augment][memcheck]") {
  require_parity(
      [](const Tensors& in, Tensors& out) {
        Tensor stats(Shape::vector(statistics_elements(kIn.c)), DType::f64, out[0].device());
        copy({in[0], out[0]});
        add_gaussian_noise({out[0], 0.07f, 5});
        intensity_statistics({out[0], stats});
        adjust_gamma({out[0], stats, 1.3f, false});
        adjust_gamma({out[0], stats, 0.8f, true});
      },
      image_and_labels(kIn, 5), {{kIn, DType::f32}}, Check::parity_f32);
}

TEST_CASE("a drawn augmentation of every transform matches the CPU",
          "[parity][augment][memcheck]") {
  Augmentation a = draw_augmentation(kAugmentAll, 42, 0, 0);
  a.spatial = true, a.angles = {0.3, 0.2, -0.4}, a.scale = 1.2, a.noise_sigma = 0.05f,
  a.noise_seed = 9, a.blur_sigma = 0.7f, a.brightness = 1.1f, a.contrast = 0.9f, a.lowres = 1.5f,
  a.inverted_gamma = 1.2f, a.gamma = 0.8f;
  const Shape in{1, 12, 14, 16, 1}, out{1, 8, 10, 12, 1};
  for (const DType slot : {DType::f32, DType::f16}) {
    INFO(dtype_name(slot));
    require_parity(
        [&](const Tensors& inputs, Tensors& outputs) {
          Augmenter().apply(a, inputs[0], inputs[1], outputs[0], outputs[1]);
        },
        image_and_labels(in, 7), {{out, slot}, {out, DType::u8}},
        slot == DType::f32 ? Check::parity_f32 : Check::parity_f16);
  }
}
