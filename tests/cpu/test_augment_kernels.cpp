// The augmentation kernels on the CPU against formulas written out here in double: the affine
// resample (quarter turns exactly, any matrix against direct trilinear and nearest sampling),
// noise, blur, the statistics, contrast and gamma.
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <set>

#include "kernels/augment.h"
#include "layers/augmentation.h"
#include "runtime/rng.h"
#include "verify/parity.h"

using namespace unet3d;

namespace {

float at(const Tensor& t, std::int64_t d, std::int64_t h, std::int64_t w) {
  const Shape s = t.shape();
  return t.data_as<float>()[(d * s.h + h) * s.w + w];
}

std::uint8_t label_at(const Tensor& t, std::int64_t d, std::int64_t h, std::int64_t w) {
  const Shape s = t.shape();
  return t.data_as<std::uint8_t>()[(d * s.h + h) * s.w + w];
}

SamplingMatrix identity() {
  return {{1, 0, 0, 0, 1, 0, 0, 0, 1}};
}

// The resample of one output voxel, directly: trilinear over the 8 neighbours with zeros
// outside, in double.
double trilinear(const Tensor& x, const double q[3]) {
  const Shape s = x.shape();
  const std::int64_t sizes[3] = {s.d, s.h, s.w};
  double sum = 0;
  for (int corner = 0; corner < 8; ++corner) {
    std::int64_t k[3];
    double weight = 1;
    bool inside = true;
    for (int a = 0; a < 3; ++a) {
      const int step = (corner >> (2 - a)) & 1;
      const double low = std::floor(q[a]);
      k[a] = static_cast<std::int64_t>(low) + step;
      weight *= step ? q[a] - low : 1 - (q[a] - low);
      inside = inside && k[a] >= 0 && k[a] < sizes[a];
    }
    if (inside) sum += weight * at(x, k[0], k[1], k[2]);
  }
  return sum;
}

}  // namespace

TEST_CASE("the affine resample with the identity matrix copies the volume", "[augment][affine]") {
  const Shape shape{1, 4, 5, 6, 1};
  const Tensor image = random_tensor(shape, DType::f32, 1);
  const Tensor labels = random_labels(shape, 6, 2);
  Tensor out(shape, DType::f32), out_labels(shape, DType::u8);
  affine_resample({image, labels, identity(), out, out_labels});
  for (std::int64_t i = 0; i < shape.numel(); ++i) {
    REQUIRE(out.data_as<float>()[i] == image.data_as<float>()[i]);
    REQUIRE(out_labels.data_as<std::uint8_t>()[i] == labels.data_as<std::uint8_t>()[i]);
  }
  // No rotation and scale 1, as a draw leaves them, is the identity matrix.
  const SamplingMatrix m = sampling_matrix(Augmentation{});
  for (int i = 0; i < 9; ++i) CHECK(m.m[i] == identity().m[i]);
}

TEST_CASE("a quarter turn about D is a transpose of H and W and a flip, exactly",
          "[augment][affine]") {
  const Shape shape{1, 3, 5, 5, 1};
  const Tensor image = random_tensor(shape, DType::f32, 3);
  const Tensor labels = random_labels(shape, 6, 4);
  Augmentation a;
  a.spatial = true;
  a.angles = {std::numbers::pi / 2, 0, 0};
  Tensor out(shape, DType::f32), out_labels(shape, DType::u8);
  affine_resample({image, labels, sampling_matrix(a), out, out_labels});
  for (std::int64_t d = 0; d < 3; ++d)
    for (std::int64_t h = 0; h < 5; ++h)
      for (std::int64_t w = 0; w < 5; ++w) {
        REQUIRE(at(out, d, h, w) == at(image, d, w, 4 - h));
        REQUIRE(label_at(out_labels, d, h, w) == label_at(labels, d, w, 4 - h));
      }
  // Half a turn about H flips D and W.
  const Shape cube{1, 4, 3, 4, 1};
  const Tensor cube_image = random_tensor(cube, DType::f32, 5);
  const Tensor cube_labels = random_labels(cube, 3, 6);
  a.angles = {0, std::numbers::pi, 0};
  Tensor turned(cube, DType::f32), turned_labels(cube, DType::u8);
  affine_resample({cube_image, cube_labels, sampling_matrix(a), turned, turned_labels});
  for (std::int64_t d = 0; d < 4; ++d)
    for (std::int64_t h = 0; h < 3; ++h)
      for (std::int64_t w = 0; w < 4; ++w)
        REQUIRE(at(turned, d, h, w) == at(cube_image, 3 - d, h, 3 - w));
}

TEST_CASE("the affine resample samples where the matrix says, trilinear and nearest",
          "[augment][affine]") {
  const Shape in{1, 7, 6, 9, 1}, out{1, 5, 8, 6, 1};
  const Tensor image = random_tensor(in, DType::f32, 7);
  const Tensor labels = random_labels(in, 5, 8);
  Augmentation a;
  a.spatial = true;
  a.angles = {0.4, -0.3, 0.25};
  a.scale = 0.8;
  const SamplingMatrix m = sampling_matrix(a);
  Tensor resampled(out, DType::f32), resampled_labels(out, DType::u8);
  affine_resample({image, labels, m, resampled, resampled_labels});
  const double centre_in[3] = {3, 2.5, 4}, centre_out[3] = {2, 3.5, 2.5};
  std::set<int> seen;
  for (std::int64_t d = 0; d < out.d; ++d)
    for (std::int64_t h = 0; h < out.h; ++h)
      for (std::int64_t w = 0; w < out.w; ++w) {
        const double p[3] = {static_cast<double>(d) - centre_out[0],
                             static_cast<double>(h) - centre_out[1],
                             static_cast<double>(w) - centre_out[2]};
        double q[3];
        for (int i = 0; i < 3; ++i)
          q[i] = centre_in[i] + m.m[i * 3] * p[0] + m.m[i * 3 + 1] * p[1] + m.m[i * 3 + 2] * p[2];
        REQUIRE(at(resampled, d, h, w) == Approx(trilinear(image, q)).margin(1e-5));
        const std::int64_t n[3] = {std::llround(std::floor(q[0] + 0.5)),
                                   std::llround(std::floor(q[1] + 0.5)),
                                   std::llround(std::floor(q[2] + 0.5))};
        const bool inside =
            n[0] >= 0 && n[0] < in.d && n[1] >= 0 && n[1] < in.h && n[2] >= 0 && n[2] < in.w;
        const int expected = inside ? label_at(labels, n[0], n[1], n[2]) : 0;
        REQUIRE(label_at(resampled_labels, d, h, w) == expected);
        seen.insert(label_at(resampled_labels, d, h, w));
      }
  CHECK(*seen.rbegin() < 5);  // labels stay in range
  CHECK(seen.size() > 1);
}

TEST_CASE("a patch resampled from its source region has no empty corners", "[augment][affine]") {
  const Grid patch{8, 12, 10};
  Augmentation a;
  a.spatial = true;
  a.angles = {0.52, -0.52, 0.52};  // about 30 degrees, the largest draw, and the smallest scale
  a.scale = 0.7;
  const SamplingMatrix m = sampling_matrix(a);
  const Grid region = source_region(m, patch);
  Tensor image({1, region.d, region.h, region.w, 1}, DType::f32);
  Tensor labels({1, region.d, region.h, region.w, 1}, DType::u8);
  for (std::int64_t i = 0; i < image.numel(); ++i)
    image.data_as<float>()[i] = 1, labels.data_as<std::uint8_t>()[i] = 2;
  Tensor out({1, patch.d, patch.h, patch.w, 1}, DType::f32);
  Tensor out_labels({1, patch.d, patch.h, patch.w, 1}, DType::u8);
  affine_resample({image, labels, m, out, out_labels});
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    REQUIRE(out.data_as<float>()[i] == Approx(1).margin(1e-5));
    REQUIRE(out_labels.data_as<std::uint8_t>()[i] == 2);
  }
  // Without rotation or scaling the region is the patch and a voxel on each side.
  const Grid plain = source_region(sampling_matrix(Augmentation{}), patch);
  CHECK(plain.d == patch.d + 2);
  CHECK(plain.h == patch.h + 2);
  CHECK(plain.w == patch.w + 2);
}

TEST_CASE("Gaussian noise adds sigma times Box-Muller normals of the seeded stream",
          "[augment][intensity]") {
  const Shape shape{1, 20, 30, 40, 1};
  Tensor image(shape, DType::f32);
  for (std::int64_t i = 0; i < shape.numel(); ++i) image.data_as<float>()[i] = 0.5f;
  add_gaussian_noise({image, 0.1f, 99});
  double sum = 0, squares = 0;
  for (std::int64_t i = 0; i < shape.numel(); ++i) {
    const double z = (image.data_as<float>()[i] - 0.5) / 0.1;
    sum += z, squares += z * z;
    if (i % 997 == 0) {
      const auto u = static_cast<std::uint64_t>(i) * 2;
      const double expected = std::sqrt(-2 * std::log(1.0 - uniform01(99, u))) *
                              std::cos(2 * std::numbers::pi * uniform01(99, u + 1));
      REQUIRE(z == Approx(expected).margin(1e-4));
    }
  }
  const auto n = static_cast<double>(shape.numel());
  CHECK(std::abs(sum / n) < 0.01);
  CHECK(std::sqrt(squares / n) == Approx(1).margin(0.01));
}

TEST_CASE("the blur is the normalised, truncated Gaussian with mirrored edges",
          "[augment][intensity]") {
  // 3 voxels along D with a radius of 4: the mirror folds more than once.
  const Shape shape{1, 3, 6, 7, 1};
  const Tensor image = random_tensor(shape, DType::f32, 11);
  Tensor blurred(shape, DType::f32), scratch(shape, DType::f32);
  blurred.copy_from(image);
  const float sigma = 0.9f;
  gaussian_blur({blurred, scratch, sigma});
  const int radius = static_cast<int>(4 * sigma + 0.5);
  std::vector<double> weights;
  double norm = 0;
  for (int j = -radius; j <= radius; ++j) norm += std::exp(-0.5 * j * j / (sigma * sigma));
  for (int j = -radius; j <= radius; ++j)
    weights.push_back(std::exp(-0.5 * j * j / (sigma * sigma)) / norm);
  const auto mirror = [](std::int64_t j, std::int64_t n) {  // d c b a | a b c d, repeated
    while (j < 0 || j >= n) j = j < 0 ? -j - 1 : 2 * n - 1 - j;
    return j;
  };
  for (std::int64_t d = 0; d < shape.d; ++d)
    for (std::int64_t h = 0; h < shape.h; ++h)
      for (std::int64_t w = 0; w < shape.w; ++w) {
        double expected = 0;
        for (int i = -radius; i <= radius; ++i)
          for (int j = -radius; j <= radius; ++j)
            for (int k = -radius; k <= radius; ++k)
              expected +=
                  weights[i + radius] * weights[j + radius] * weights[k + radius] *
                  at(image, mirror(d + i, shape.d), mirror(h + j, shape.h), mirror(w + k, shape.w));
        REQUIRE(at(blurred, d, h, w) == Approx(expected).margin(1e-5));
      }
}

TEST_CASE("statistics, contrast and gamma follow their formulas", "[augment][intensity]") {
  const Shape shape{1, 9, 10, 11, 1};
  const Tensor image = random_tensor(shape, DType::f32, 13, -2.0f, 3.0f);
  const float* x = image.data_as<float>();
  double sum = 0, low = INFINITY, high = -INFINITY;
  for (std::int64_t i = 0; i < shape.numel(); ++i)
    sum += x[i], low = std::min<double>(low, x[i]), high = std::max<double>(high, x[i]);
  const double mean = sum / static_cast<double>(shape.numel());
  Tensor stats(Shape::vector(statistics_elements(1)), DType::f64);
  intensity_statistics({image, stats});
  CHECK(stats.data_as<double>()[0] == Approx(mean).epsilon(1e-12));
  CHECK(stats.data_as<double>()[1] == low);
  CHECK(stats.data_as<double>()[2] == high);

  Tensor contrasted(shape, DType::f32);
  contrasted.copy_from(image);
  adjust_contrast({contrasted, stats, 1.2f});
  for (std::int64_t i = 0; i < shape.numel(); ++i) {
    const double expected = std::clamp(mean + 1.2 * (x[i] - mean), low, high);
    REQUIRE(contrasted.data_as<float>()[i] == Approx(expected).margin(1e-5));
  }
  for (const bool inverted : {false, true}) {
    INFO("inverted " << inverted);
    Tensor adjusted(shape, DType::f32);
    adjusted.copy_from(image);
    adjust_gamma({adjusted, stats, 1.4f, inverted});
    const double range = high - low;
    for (std::int64_t i = 0; i < shape.numel(); ++i) {
      const double expected = inverted ? high - range * std::pow((high - x[i]) / range, 1.4)
                                       : low + range * std::pow((x[i] - low) / range, 1.4);
      REQUIRE(adjusted.data_as<float>()[i] == Approx(expected).margin(2e-5));
    }
  }
}
