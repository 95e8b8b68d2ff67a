// Losses and metrics on the CPU: gradients by central differences, values by hand.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "kernels/elementwise.h"
#include "kernels/loss.h"
#include "kernels/metrics.h"
#include "tests/support/gradcheck.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

namespace {

double value_of(const Tensor& loss, int index = 0) {
  return to_doubles(loss)[index];
}

// Direct Dice loss from its definition, for the value tests.
double dice_by_hand(const Tensor& logits, const Tensor& labels, bool exclude_background) {
  const std::int64_t C = logits.shape().c, rows = logits.numel() / C;
  const std::vector<double> z = to_doubles(logits), y = to_doubles(labels);
  std::vector<double> inter(C), p_sum(C), g_sum(C);
  for (std::int64_t r = 0; r < rows; ++r) {
    double denominator = 0;
    for (std::int64_t c = 0; c < C; ++c) denominator += std::exp(z[r * C + c]);
    for (std::int64_t c = 0; c < C; ++c) {
      const double p = std::exp(z[r * C + c]) / denominator;
      const double g = y[r] == static_cast<double>(c) ? 1 : 0;
      inter[c] += p * g, p_sum[c] += p, g_sum[c] += g;
    }
  }
  double mean = 0;
  const std::int64_t first = exclude_background ? 1 : 0;
  for (std::int64_t c = first; c < C; ++c)
    mean += (2 * inter[c] + 1e-5) / (p_sum[c] + g_sum[c] + 1e-5);
  return 1 - mean / static_cast<double>(C - first);
}

}  // namespace

// The losses' gradients: verify/op_gradients.cpp.
TEST_CASE("the Dice loss is its definition", "[loss]") {
  for (const Shape shape : {Shape{2, 3, 4, 5, 5}, Shape{1, 5, 3, 3, 3}}) {
    const Tensor logits = random_tensor(shape, DType::f64, 130, -2.0f, 2.0f);
    const Tensor labels = random_labels(shape, static_cast<int>(shape.c), 131);
    Tensor loss(Shape::scalar(), DType::f64);
    for (const bool exclude : {false, true}) {
      dice_loss({logits, labels, exclude, loss});
      CHECK(value_of(loss) == Approx(dice_by_hand(logits, labels, exclude)).epsilon(1e-12));
    }
  }
}

TEST_CASE("cross-entropy values follow PyTorch's (weighted) mean", "[loss]") {
  Tensor logits({1, 1, 1, 2, 3}, DType::f64);
  const double z[] = {1.0, 2.0, 0.5, -1.0, 0.0, 3.0};
  for (int i = 0; i < 6; ++i) logits.data_as<double>()[i] = z[i];
  Tensor labels({1, 1, 1, 2, 1}, DType::u8);
  labels.data_as<std::uint8_t>()[0] = 1, labels.data_as<std::uint8_t>()[1] = 0;
  const auto nll = [&](int row, int y) {
    double s = 0;
    for (int c = 0; c < 3; ++c) s += std::exp(z[row * 3 + c]);
    return std::log(s) - z[row * 3 + y];
  };
  Tensor loss(Shape::scalar(), DType::f64);
  cross_entropy({logits, labels, nullptr, loss});
  CHECK(value_of(loss) == Approx((nll(0, 1) + nll(1, 0)) / 2).epsilon(1e-12));
  Tensor weights({1, 1, 1, 1, 3}, DType::f64);
  weights.data_as<double>()[0] = 0.5, weights.data_as<double>()[1] = 2.0,
  weights.data_as<double>()[2] = 7.0;
  cross_entropy({logits, labels, &weights, loss});
  CHECK(value_of(loss) == Approx((2.0 * nll(0, 1) + 0.5 * nll(1, 0)) / 2.5).epsilon(1e-12));
}

TEST_CASE("Dice with a class absent from the batch stays finite", "[loss]") {
  const Shape shape{2, 3, 3, 3, 4};
  Tensor logits = random_tensor(shape, DType::f64, 140, -1.0f, 1.0f);
  const Tensor labels = random_labels(shape, 4, 141, /*absent=*/2);
  Tensor loss(Shape::scalar(), DType::f64), grad(shape, DType::f64);
  dice_loss({logits, labels, false, loss, {&grad}});
  CHECK(std::isfinite(value_of(loss)));
  CHECK(value_of(loss) == Approx(dice_by_hand(logits, labels, false)).epsilon(1e-12));
  for (double g : to_doubles(grad)) REQUIRE(std::isfinite(g));
  CHECK(gradient_check("dice (class 2 absent)", logits, grad, [&] {
          dice_loss({logits, labels, false, loss});
          return value_of(loss);
        }).ok);
}

TEST_CASE("loss gradients scale and accumulate as asked", "[loss]") {
  const Shape shape{1, 2, 3, 4, 3};
  const Tensor logits = random_tensor(shape, DType::f64, 150);
  const Tensor labels = random_labels(shape, 3, 151);
  Tensor loss(Shape::scalar(), DType::f64), once(shape, DType::f64), twice(shape, DType::f64);
  dice_loss({logits, labels, false, loss, {&once, 0.25}});
  fill({twice, 0.0});
  dice_loss({logits, labels, false, loss, {&twice, 0.125, true}});
  dice_loss({logits, labels, false, loss, {&twice, 0.125, true}});
  CHECK(compare(twice, once, tolerance(Check::gradient_f64)).ok);
}

TEST_CASE("argmax takes the first maximum, Dice counts count", "[metrics]") {
  Tensor logits({2, 1, 1, 2, 3}, DType::f32);
  const float z[] = {0.1f, 0.7f, 0.7f, 2.0f, -1.0f, 0.0f, -3.0f, -3.0f, -3.0f, 0.0f, 0.0f, 5.0f};
  for (int i = 0; i < 12; ++i) logits.data_as<float>()[i] = z[i];
  Tensor prediction({2, 1, 1, 2, 1}, DType::u8);
  argmax_channels({logits, prediction});
  CHECK(to_doubles(prediction) == std::vector<double>{1, 0, 0, 2});

  Tensor truth({2, 1, 1, 2, 1}, DType::u8);
  const std::uint8_t t[] = {1, 1, 0, 0};
  for (int i = 0; i < 4; ++i) truth.data_as<std::uint8_t>()[i] = t[i];
  Tensor counts({2, 1, 1, 3, 3}, DType::f64);
  dice_counts({prediction, truth, counts});
  // volume 0: P = {1, 0}, G = {1, 1}; volume 1: P = {0, 2}, G = {0, 0}
  CHECK(to_doubles(counts) == std::vector<double>{0, 1, 0, 1, 1, 0, 0, 2, 0,  //
                                                  1, 0, 0, 1, 0, 1, 2, 0, 0});
}
