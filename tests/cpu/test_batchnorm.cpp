// BatchNorm3d on the CPU: gradients by central differences, statistics by hand.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "kernels/batchnorm.h"
#include "kernels/elementwise.h"
#include "tests/support/gradcheck.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

namespace {

struct BatchNormCase {
  Tensor x, gamma, beta, running_mean, running_var, mean, inv_std, y;
  explicit BatchNormCase(Shape shape, std::uint64_t seed)
      : x(random_tensor(shape, DType::f64, seed, -1.5f, 2.5f)),
        gamma(random_tensor(Shape::vector(shape.c), DType::f64, seed + 1, 0.5f, 1.5f)),
        beta(random_tensor(Shape::vector(shape.c), DType::f64, seed + 2, -0.5f, 0.5f)),
        running_mean(Shape::vector(shape.c), DType::f64),
        running_var(Shape::vector(shape.c), DType::f64),
        mean(Shape::vector(shape.c), DType::f64),
        inv_std(Shape::vector(shape.c), DType::f64),
        y(shape, DType::f64) {
    fill({running_mean, 0.0});
    fill({running_var, 1.0});
  }
  void forward(Activation activation) {
    batchnorm_forward_train(
        {x, gamma, beta, running_mean, running_var, mean, inv_std, y, activation});
  }
};

}  // namespace

TEST_CASE("batchnorm parameter gradients accumulate", "[batchnorm]") {
  const Shape shape{2, 3, 3, 3, 4};
  BatchNormCase bn(shape, 50);
  bn.forward(Activation::none);
  const Tensor dy = random_tensor(shape, DType::f64, 51);
  Tensor dx(shape, DType::f64), once(Shape::vector(4), DType::f64),
      twice(Shape::vector(4), DType::f64), db(Shape::vector(4), DType::f64);
  fill({once, 0.0});
  fill({twice, 0.0});
  fill({db, 0.0});
  batchnorm_backward({bn.x, bn.y, dy, bn.gamma, bn.mean, bn.inv_std, dx, once, db, {}});
  batchnorm_backward({bn.x, bn.y, dy, bn.gamma, bn.mean, bn.inv_std, dx, twice, db, {}});
  batchnorm_backward({bn.x, bn.y, dy, bn.gamma, bn.mean, bn.inv_std, dx, twice, db, {}});
  Tensor doubled(Shape::vector(4), DType::f64);
  affine({once, 2.0, 0.0, doubled});
  CHECK(compare(twice, doubled, tolerance(Check::exact)).ok);
}

TEST_CASE("batchnorm statistics follow PyTorch's definitions", "[batchnorm]") {
  const Shape shape{2, 3, 2, 5, 3};
  BatchNormCase bn(shape, 60);
  fill({bn.running_mean, 0.25});
  fill({bn.running_var, 2.0});
  bn.forward(Activation::none);
  const std::vector<double> x = to_doubles(bn.x);
  const std::int64_t rows = shape.numel() / shape.c;
  const auto n = static_cast<double>(rows);
  for (std::int64_t c = 0; c < shape.c; ++c) {
    double mean = 0;
    for (std::int64_t r = 0; r < rows; ++r) mean += x[r * shape.c + c];
    mean /= n;
    double var = 0;
    for (std::int64_t r = 0; r < rows; ++r) var += std::pow(x[r * shape.c + c] - mean, 2);
    const double biased = var / n, unbiased = var / (n - 1);
    CHECK(bn.mean.data_as<double>()[c] == Approx(mean).epsilon(1e-12));
    CHECK(bn.inv_std.data_as<double>()[c] == Approx(1 / std::sqrt(biased + 1e-5)).epsilon(1e-12));
    CHECK(bn.running_mean.data_as<double>()[c] == Approx(0.9 * 0.25 + 0.1 * mean).epsilon(1e-12));
    CHECK(bn.running_var.data_as<double>()[c] == Approx(0.9 * 2.0 + 0.1 * unbiased).epsilon(1e-12));
  }

  // Evaluation normalises with the running statistics.
  Tensor y(shape, DType::f64);
  batchnorm_forward_eval({bn.x, bn.gamma, bn.beta, bn.running_mean, bn.running_var, y, {}});
  const std::vector<double> out = to_doubles(y);
  for (std::int64_t i : {std::int64_t{0}, shape.numel() - 1}) {
    const std::int64_t c = i % shape.c;
    const double expected = bn.gamma.data_as<double>()[c] *
                                (x[i] - bn.running_mean.data_as<double>()[c]) /
                                std::sqrt(bn.running_var.data_as<double>()[c] + 1e-5) +
                            bn.beta.data_as<double>()[c];
    CHECK(out[i] == Approx(expected).epsilon(1e-12));
  }
}

TEST_CASE("batchnorm refuses what it cannot normalise", "[batchnorm]") {
  BatchNormCase one_value({1, 1, 1, 1, 3}, 70);
  CHECK_THROWS_WITH(one_value.forward(Activation::none),
                    Catch::Contains("fewer than 2 values per channel"));
  BatchNormCase bn({1, 2, 2, 2, 3}, 71);
  Tensor wrong(Shape::vector(3), DType::f32);
  CHECK_THROWS_WITH(
      batchnorm_forward_train(
          {bn.x, wrong, bn.beta, bn.running_mean, bn.running_var, bn.mean, bn.inv_std, bn.y, {}}),
      Catch::Contains("per-channel tensor") && Catch::Contains("does not fit"));
}

// The CPU's f32 backward (vectorised, f32 sums within blocks of rows) computes what the f64 one
// computes from the same values: channel counts that divide its 16 lanes and ones that do not,
// row counts that leave remainders of its blocks and chunks, with and without the ReLU.
TEST_CASE("batchnorm's f32 backward on the CPU matches the f64 one", "[batchnorm]") {
  const auto f64_copy = [](const Tensor& t) {
    Tensor wide(t.shape(), DType::f64);
    cast({t, wide});
    return wide;
  };
  for (const Shape& shape : {Shape{1, 5, 7, 11, 8}, Shape{2, 9, 17, 15, 3}, Shape{1, 3, 5, 7, 16},
                             Shape{1, 4, 6, 5, 24}, Shape{1, 3, 3, 5, 1}})
    for (const Activation activation :
         {Activation::none, Activation::relu, Activation::leaky_relu}) {
      INFO(shape.str() << activation_suffix(activation));
      const Shape channels = Shape::vector(shape.c);
      std::vector<Tensor> in;  // x, y, dy, gamma, mean, inv_std
      for (std::uint64_t seed = 60; seed < 63; ++seed)
        in.push_back(random_tensor(shape, DType::f32, seed));
      in.push_back(random_tensor(channels, DType::f32, 63, 0.5f, 1.5f));
      in.push_back(random_tensor(channels, DType::f32, 64, -0.5f, 0.5f));
      in.push_back(random_tensor(channels, DType::f32, 65, 0.5f, 2.0f));
      std::vector<Tensor> wide;
      for (const Tensor& t : in) wide.push_back(f64_copy(t));
      const auto run = [&](const std::vector<Tensor>& t, DType dtype) {
        std::vector<Tensor> out;  // dx, dgamma, dbeta
        out.emplace_back(shape, dtype);
        out.emplace_back(channels, dtype);
        out.emplace_back(channels, dtype);
        fill({out[1], 0.25});  // accumulated into
        fill({out[2], -0.5});
        batchnorm_backward(
            {t[0], t[1], t[2], t[3], t[4], t[5], out[0], out[1], out[2], activation});
        return out;
      };
      const std::vector<Tensor> got = run(in, DType::f32), want = run(wide, DType::f64);
      for (std::size_t i = 0; i < got.size(); ++i)
        CHECK(compare(to_doubles(got[i]), to_doubles(want[i]), tolerance(Check::reduction_f32)).ok);
    }
}
