// The --augment list, the per-sample draws (probabilities counted over many draws with a fixed
// seed, parameters in their ranges, the same draw for the same sample) and the Augmenter's order
// of transforms.
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

#include "kernels/augment.h"
#include "kernels/elementwise.h"
#include "kernels/flip.h"
#include "kernels/resize.h"
#include "layers/augmentation.h"
#include "layers/augmenter.h"
#include "runtime/error.h"
#include "verify/parity.h"

using namespace unet3d;

TEST_CASE("the augment list takes none, nnunet or a list of the transforms", "[augment][flags]") {
  CHECK(parse_augmentations("none", "--augment") == 0);
  CHECK(parse_augmentations("nnunet", "--augment") == kAugmentAll);
  CHECK(parse_augmentations("rotate,flip", "--augment") == (kAugmentRotate | kAugmentFlip));
  CHECK(augmentation_names(kAugmentAll) ==
        "rotate,scale,noise,blur,brightness,contrast,lowres,gamma,flip");
  CHECK(augmentation_names(parse_augmentations("gamma,noise", "--augment")) == "noise,gamma");
  CHECK(augmentation_names(0) == "none");
  try {
    parse_augmentations("rotate,twist", "--augment");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK_THAT(e.what(), Catch::Contains("--augment") && Catch::Contains("'twist'"));
  }
  CHECK_THROWS_AS(parse_augmentations("", "--augment"), Error);
}

TEST_CASE("each transform is drawn with its probability and within its range", "[augment][draw]") {
  using R = AugmentRecipe;
  constexpr int kDraws = 40000;
  int rotated = 0, scaled = 0, noisy = 0, blurred = 0, brighter = 0, contrasted = 0, coarse = 0,
      inverted = 0, gamma = 0;
  int flips[3] = {0, 0, 0};
  const double max_angle = R::max_angle_degrees * std::numbers::pi / 180;
  for (int i = 0; i < kDraws; ++i) {
    const Augmentation a = draw_augmentation(kAugmentAll, 42, i / 100, i % 100);
    const bool turned = a.angles[0] != 0 || a.angles[1] != 0 || a.angles[2] != 0;
    rotated += turned, scaled += a.scale != 1;
    REQUIRE(a.spatial == (turned || a.scale != 1));
    for (const double angle : a.angles) REQUIRE(std::abs(angle) <= max_angle);
    REQUIRE((a.scale == 1 || (a.scale >= R::min_scale && a.scale < R::max_scale)));
    noisy += a.noise_sigma > 0;
    REQUIRE(a.noise_sigma < R::max_noise_sigma);
    if (a.blur_sigma > 0) {
      ++blurred;
      REQUIRE((a.blur_sigma >= R::min_blur_sigma && a.blur_sigma <= R::max_blur_sigma));
    }
    for (const float f : {a.brightness, a.contrast})
      REQUIRE((f == 1 || (f >= R::min_factor && f <= R::max_factor)));
    brighter += a.brightness != 1, contrasted += a.contrast != 1;
    coarse += a.lowres != 1;
    REQUIRE((a.lowres >= 1 && a.lowres <= R::max_lowres_factor));
    for (const float g : {a.inverted_gamma, a.gamma})
      REQUIRE((g == 0 || (g >= R::min_gamma && g <= R::max_gamma)));
    inverted += a.inverted_gamma > 0, gamma += a.gamma > 0;
    for (int axis = 0; axis < 3; ++axis) flips[axis] += (a.flips >> axis) & 1;
  }
  // Within 4 standard deviations of the binomial count.
  const auto near = [&](int count, double p) {
    INFO("count " << count << " of " << kDraws << " for p " << p);
    CHECK(std::abs(count - p * kDraws) < 4 * std::sqrt(kDraws * p * (1 - p)));
  };
  near(rotated, R::rotate), near(scaled, R::scale), near(noisy, R::noise);
  near(blurred, R::blur), near(brighter, R::brightness), near(contrasted, R::contrast);
  near(coarse, R::lowres), near(inverted, R::inverted_gamma), near(gamma, R::gamma);
  for (const int f : flips) near(f, 0.5);
}

TEST_CASE("a draw is a function of the sample, and a transform left out is never drawn",
          "[augment][draw]") {
  const Augmentation a = draw_augmentation(kAugmentAll, 7, 3, 11);
  const Augmentation b = draw_augmentation(kAugmentAll, 7, 3, 11);
  const auto same = [](const Augmentation& x, const Augmentation& y) {
    return x.angles == y.angles && x.scale == y.scale && x.noise_sigma == y.noise_sigma &&
           x.blur_sigma == y.blur_sigma && x.brightness == y.brightness &&
           x.contrast == y.contrast && x.lowres == y.lowres && x.gamma == y.gamma &&
           x.inverted_gamma == y.inverted_gamma && x.flips == y.flips;
  };
  CHECK(same(a, b));
  int differ = 0;  // other samples draw otherwise
  for (int i = 0; i < 50; ++i) differ += !same(draw_augmentation(kAugmentAll, 7, 3, i), a);
  CHECK(differ >= 45);
  for (int i = 0; i < 2000; ++i) {
    const Augmentation only_flips = draw_augmentation(kAugmentFlip, 7, 0, i);
    REQUIRE_FALSE(only_flips.spatial);
    REQUIRE(only_flips.noise_sigma == 0);
    REQUIRE(only_flips.gamma == 0);
    // --augment flip draws the flips as the original recipe did, first from the sample's stream.
    Rng rng(7 ^ static_cast<std::uint64_t>(i));
    REQUIRE(only_flips.flips == random_flip_axes(rng));
    REQUIRE_FALSE(draw_augmentation(kAugmentAll & ~kAugmentFlip, 7, 0, i).flips != 0);
  }
}

TEST_CASE("the Augmenter applies the drawn transforms in order and casts into the slot",
          "[augment][augmenter]") {
  const Shape shape{1, 6, 7, 8, 1};
  const Tensor image = random_tensor(shape, DType::f32, 21);
  const Tensor labels = random_labels(shape, 4, 22);
  Augmenter augmenter;
  SECTION("nothing drawn: a copy") {
    Tensor out(shape, DType::f32), out_labels(shape, DType::u8);
    augmenter.apply(Augmentation{}, image, labels, out, out_labels);
    for (std::int64_t i = 0; i < shape.numel(); ++i) {
      REQUIRE(out.data_as<float>()[i] == image.data_as<float>()[i]);
      REQUIRE(out_labels.data_as<std::uint8_t>()[i] == labels.data_as<std::uint8_t>()[i]);
    }
  }
  SECTION("brightness, lowres and flips, against the kernels one after the other") {
    Augmentation a;
    a.brightness = 1.1f, a.lowres = 1.7f, a.flips = kFlipH;
    Tensor out(shape, DType::f16), out_labels(shape, DType::u8);
    augmenter.apply(a, image, labels, out, out_labels);
    Tensor expected(shape, DType::f32), coarse({1, 4, 4, 5, 1}, DType::f32);
    affine({image, 1.1, 0.0, expected});
    resize_nearest({expected, coarse});
    resize_trilinear({coarse, expected});
    Tensor flipped(shape, DType::f32), expected_half(shape, DType::f16);
    flip({expected, flipped, kFlipH});
    cast({flipped, expected_half});
    Tensor flipped_labels(shape, DType::u8);
    flip({labels, flipped_labels, kFlipH});
    for (std::int64_t i = 0; i < shape.numel(); ++i) {
      REQUIRE(out.data_as<Half>()[i].bits == expected_half.data_as<Half>()[i].bits);
      REQUIRE(out_labels.data_as<std::uint8_t>()[i] == flipped_labels.data_as<std::uint8_t>()[i]);
    }
  }
  SECTION("a spatial draw reads a larger source about its centre") {
    Augmentation a;
    a.spatial = true;
    const Shape source{1, 8, 9, 10, 1};
    const Tensor big = random_tensor(source, DType::f32, 23);
    const Tensor big_labels = random_labels(source, 4, 24);
    Tensor out(shape, DType::f32), out_labels(shape, DType::u8);
    augmenter.apply(a, big, big_labels, out, out_labels);
    // The identity about matched centres is the central crop (offsets 1, 1, 1).
    for (std::int64_t d = 0; d < shape.d; ++d)
      for (std::int64_t h = 0; h < shape.h; ++h)
        for (std::int64_t w = 0; w < shape.w; ++w) {
          const std::int64_t o = (d * shape.h + h) * shape.w + w;
          const std::int64_t s = ((d + 1) * source.h + h + 1) * source.w + w + 1;
          REQUIRE(out.data_as<float>()[o] == big.data_as<float>()[s]);
          REQUIRE(out_labels.data_as<std::uint8_t>()[o] == big_labels.data_as<std::uint8_t>()[s]);
        }
  }
}

TEST_CASE("lowres's coarse grid rounds n / factor, at least one voxel", "[augment][draw]") {
  const Grid g = lowres_grid({6, 7, 8}, 1.7f);
  CHECK(g.d == 4);
  CHECK(g.h == 4);
  CHECK(g.w == 5);
  CHECK(lowres_grid({1, 2, 3}, 2.0f).d == 1);
}
