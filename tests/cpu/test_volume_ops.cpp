// Max-pooling, channel concat/split, softmax (and the class probabilities of any logits), flips
// and resizing on the CPU: gradients by central differences, values by hand.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "kernels/channels.h"
#include "kernels/elementwise.h"
#include "kernels/flip.h"
#include "kernels/metrics.h"
#include "kernels/pool.h"
#include "kernels/resize.h"
#include "kernels/resize_impl.h"
#include "kernels/softmax.h"
#include "layers/inference.h"
#include "tests/support/gradcheck.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

namespace {

Tensor f64_tensor(Shape shape, const std::vector<double>& values) {
  Tensor t(shape, DType::f64);
  REQUIRE(static_cast<std::int64_t>(values.size()) == t.numel());
  for (std::size_t i = 0; i < values.size(); ++i) t.data_as<double>()[i] = values[i];
  return t;
}

}  // namespace

TEST_CASE("maxpool routes a tied window's gradient exactly once", "[pool]") {
  Tensor x({1, 2, 2, 2, 1}, DType::f64);
  fill({x, 3.0});  // all eight tied
  Tensor y({1, 1, 1, 1, 1}, DType::f64), dx({1, 2, 2, 2, 1}, DType::f64);
  maxpool_forward({x, y});
  CHECK(y.data_as<double>()[0] == 3.0);
  const Tensor dy = f64_tensor({1, 1, 1, 1, 1}, {0.7});
  maxpool_backward({x, dy, dx});
  const std::vector<double> g = to_doubles(dx);
  CHECK(g[0] == 0.7);  // the first in scan order
  double total = 0;
  for (double v : g) total += v;
  CHECK(total == 0.7);
}

TEST_CASE("maxpool keeps each channel's first maximum, NaN winning, as PyTorch", "[pool]") {
  // Two channels per voxel: channel 0 ties -0 (first) with +0, channel 1 holds a NaN in a
  // later corner than its largest number.
  Tensor x({1, 2, 2, 2, 2}, DType::f32);
  float* v = x.data_as<float>();
  for (int corner = 0; corner < 8; ++corner) {
    v[2 * corner] = corner == 0 ? -0.0f : (corner == 5 ? 0.0f : -1.0f);
    v[2 * corner + 1] = corner == 2 ? 9.0f : (corner == 6 ? NAN : 1.0f);
  }
  Tensor y({1, 1, 1, 1, 2}, DType::f32);
  maxpool_forward({x, y});
  CHECK(y.data_as<float>()[0] == 0.0f);
  CHECK(std::signbit(y.data_as<float>()[0]));  // the first of the tied zeros: -0
  CHECK(std::isnan(y.data_as<float>()[1]));
}

// Their gradients: verify/op_gradients.cpp.
TEST_CASE("concat puts a's channels first, split takes them back", "[channels]") {
  const Shape sa{2, 3, 5, 3, 3}, sb{2, 3, 5, 3, 5}, so{2, 3, 5, 3, 8};
  Tensor a = random_tensor(sa, DType::f64, 90), b = random_tensor(sb, DType::f64, 91);
  Tensor out(so, DType::f64), da(sa, DType::f64), db(sb, DType::f64);
  concat_channels({a, b, out});
  CHECK(out.data_as<double>()[0] == a.data_as<double>()[0]);
  CHECK(out.data_as<double>()[3] == b.data_as<double>()[0]);
  CHECK(out.data_as<double>()[8] == a.data_as<double>()[3]);
  split_channels({out, da, db});
  CHECK(compare(da, a, tolerance(Check::exact)).ok);
  CHECK(compare(db, b, tolerance(Check::exact)).ok);
}

TEST_CASE("softmax of logits near +-1e4 stays finite and sums to 1", "[softmax]") {
  for (const DType dtype : {DType::f32, DType::f64}) {
    Tensor z({1, 1, 1, 2, 3}, DType::f64);
    double* v = z.data_as<double>();
    v[0] = 1e4, v[1] = 1e4 - 1, v[2] = -1e4;
    v[3] = -1e4, v[4] = -1e4 + 2, v[5] = -1e4 + 1;
    Tensor zt({1, 1, 1, 2, 3}, dtype), p({1, 1, 1, 2, 3}, dtype);
    cast({z, zt});
    softmax_forward({zt, p});
    const std::vector<double> out = to_doubles(p);
    for (double x : out) CHECK(std::isfinite(x));
    CHECK(out[0] + out[1] + out[2] == Approx(1.0).epsilon(1e-6));
    CHECK(out[0] == Approx(1 / (1 + std::exp(-1.0))).epsilon(1e-6));
    CHECK(out[4] == Approx(std::exp(1.0) / (1 + std::exp(1.0) + std::exp(-1.0))).epsilon(1e-6));
  }
}

TEST_CASE("flips mirror the chosen axes and nothing else", "[flip]") {
  const Shape shape{2, 3, 4, 5, 2};
  const Tensor x = random_tensor(shape, DType::f32, 110);
  Tensor y(shape, DType::f32), back(shape, DType::f32);
  flip({x, y, kFlipD | kFlipW});
  const auto at = [&](const Tensor& t, std::int64_t n, std::int64_t d, std::int64_t h,
                      std::int64_t w, std::int64_t c) {
    return t.data_as<float>()[(((n * shape.d + d) * shape.h + h) * shape.w + w) * shape.c + c];
  };
  CHECK(at(y, 1, 0, 2, 0, 1) == at(x, 1, 2, 2, 4, 1));
  CHECK(at(y, 0, 1, 3, 2, 0) == at(x, 0, 1, 3, 2, 0));  // the middle of D and W stays put
  flip({y, back, kFlipD | kFlipW});
  CHECK(compare(back, x, tolerance(Check::exact)).ok);

  Tensor labels({1, 1, 1, 3, 1}, DType::u8), flipped({1, 1, 1, 3, 1}, DType::u8);
  labels.data_as<std::uint8_t>()[0] = 1, labels.data_as<std::uint8_t>()[1] = 2,
  labels.data_as<std::uint8_t>()[2] = 5;
  flip({labels, flipped, kFlipW});
  CHECK(flipped.data_as<std::uint8_t>()[0] == 5);
  CHECK(flipped.data_as<std::uint8_t>()[2] == 1);

  Rng rng(3);
  int counts[8] = {};
  for (int i = 0; i < 8000; ++i) ++counts[random_flip_axes(rng)];
  for (int c : counts) CHECK(std::abs(c - 1000) < 150);
  for (int i = 0; i < 100; ++i) CHECK((random_flip_axes(rng, kFlipH) & ~unsigned{kFlipH}) == 0);
}

TEST_CASE("trilinear resize gives hand-computed values along each axis", "[resize]") {
  for (int axis = 0; axis < 3; ++axis) {
    INFO("axis " << axis);
    const auto line = [axis](std::int64_t len) {
      Shape s{1, 1, 1, 1, 1};
      (axis == 0 ? s.d : axis == 1 ? s.h : s.w) = len;
      return s;
    };
    // 2 -> 3: [a, b] -> [a, (a + b) / 2, b]
    const Tensor up_in = f64_tensor(line(2), {1.0, 4.0});
    Tensor up_out(line(3), DType::f64);
    resize_trilinear({up_in, up_out});
    CHECK(to_doubles(up_out) == std::vector<double>{1.0, 2.5, 4.0});
    // 5 -> 2: sources 0.75 and 3.25
    const Tensor down_in = f64_tensor(line(5), {1.0, 2.0, 4.0, 8.0, 16.0});
    Tensor down_out(line(2), DType::f64);
    resize_trilinear({down_in, down_out});
    CHECK(to_doubles(down_out) == std::vector<double>{0.25 * 1 + 0.75 * 2, 0.75 * 8 + 0.25 * 16});
  }
}

TEST_CASE("a constant volume stays constant through trilinear resize", "[resize]") {
  Tensor x({2, 7, 5, 9, 3}, DType::f32), y({2, 13, 4, 6, 3}, DType::f32);
  fill({x, -1.75});
  resize_trilinear({x, y});
  for (double v : to_doubles(y)) REQUIRE(v == -1.75);
}

TEST_CASE("nearest-exact uses PyTorch's float32 arithmetic", "[resize]") {
  // Exact arithmetic gives 63 here; PyTorch, in float32, 62 (docs/data.md).
  CHECK(resize_impl::nearest_source(13, 448, 96) == 62);
  Tensor labels({1, 1, 1, 4, 1}, DType::u8), out({1, 1, 1, 7, 1}, DType::u8);
  for (int i = 0; i < 4; ++i) labels.data_as<std::uint8_t>()[i] = static_cast<std::uint8_t>(i + 1);
  resize_nearest({labels, out});
  // scale 4/7: floor((o + 0.5) * 0.5714286) for o = 0..6
  const std::vector<double> expected{1, 1, 2, 3, 3, 4, 4};
  CHECK(to_doubles(out) == expected);
}

TEST_CASE("resize_trilinear_argmax gives the labels of resizing then argmax", "[resize]") {
  // Probabilities with ties included (quantised values), up and down in size, odd shapes.
  for (const auto& [in, out] : {std::pair{Shape{1, 5, 7, 6, 4}, Shape{1, 11, 3, 13, 1}},
                                std::pair{Shape{2, 9, 4, 5, 6}, Shape{2, 4, 10, 5, 1}}}) {
    Tensor p = random_tensor(in, DType::f32, 3, 0.0f, 1.0f);
    for (std::int64_t i = 0; i < p.numel(); ++i)
      p.data_as<float>()[i] = std::round(p.data_as<float>()[i] * 4) / 4;
    Tensor resampled(out.with_channels(in.c), DType::f32), expected(out, DType::u8),
        fused(out, DType::u8);
    resize_trilinear({p, resampled});
    argmax_channels({resampled, expected});
    resize_trilinear_argmax({p, fused});
    // The same quarters in f16 (exact there), resized in f32 arithmetic: the same labels.
    Tensor p16(in, DType::f16), fused16(out, DType::u8);
    cast({p, p16});
    resize_trilinear_argmax({p16, fused16});
    for (std::int64_t i = 0; i < out.numel(); ++i) {
      INFO("voxel " << i);
      REQUIRE(fused.data_as<std::uint8_t>()[i] == expected.data_as<std::uint8_t>()[i]);
      REQUIRE(fused16.data_as<std::uint8_t>()[i] == expected.data_as<std::uint8_t>()[i]);
    }
  }
  Tensor wrong(Shape{1, 2, 2, 2, 2}, DType::u8);
  CHECK_THROWS_AS(resize_trilinear_argmax({random_tensor({1, 2, 2, 2, 3}, DType::f32, 1), wrong}),
                  Error);
}

TEST_CASE(
    "class probabilities of non-f32 logits are the f32 softmax, without a tensor of their own",
    "[inference]") {
  const Tensor logits = random_tensor({2, 3, 4, 5, 6}, DType::f64, 31, -4.0f, 4.0f);
  Tensor narrowed(logits.shape(), DType::f32), expected(logits.shape(), DType::f32);
  cast({logits, narrowed});
  softmax_forward({narrowed, expected});
  Tensor probabilities(logits.shape(), DType::f32);
  const std::int64_t before = memory_stats().allocations;
  class_probabilities(logits, probabilities);
  CHECK(memory_stats().allocations == before);
  CHECK(compare(probabilities, expected, tolerance(Check::exact)).ok);
}
