// The configurable network's layers on the CPU (docs/model.md): convolutions with a kernel of 1
// or 3 per axis in every direction and with every register tile (test_conv.cpp has their
// gradients and the transposed convolution's blocks), max-pooling with a window of 1 or 2 per
// axis, instance norm and the fused LeakyReLU: values against the definitions, gradients by
// central differences.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "kernels/conv3d_cpu.h"
#include "kernels/elementwise.h"
#include "kernels/instancenorm.h"
#include "kernels/pool.h"
#include "layers/conv3d.h"
#include "tests/support/conv_reference.h"
#include "tests/support/gradcheck.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

namespace {

// Kernels flat along one or two axes, as an anisotropic plan's first levels have them.
const Grid kKernels[] = {{1, 3, 3}, {3, 1, 1}, {3, 3, 1}, {1, 1, 3}};
// Pooling windows likewise.
const Grid kWindows[] = {{1, 2, 2}, {2, 2, 1}, {2, 1, 1}};

Shape weights_of(std::int64_t cout, Grid k, std::int64_t cin) {
  return {cout, k.d, k.h, k.w, cin};
}

}  // namespace

TEST_CASE("anisotropic convolutions match the definition in every direction", "[conv]") {
  // Channel counts that leave remainders of the CPU's blocks (8, 16 output channels; 4 or 8
  // input channels) and rows no register tile divides.
  for (const Grid k : kKernels)
    for (const auto& [x_shape, cout] : {std::pair{Shape{2, 3, 5, 7, 3}, std::int64_t{20}},
                                        std::pair{Shape{1, 4, 3, 10, 8}, std::int64_t{16}}})
      for (const DType dtype : {DType::f32, DType::f64}) {
        INFO("kernel " << k.str() << ", " << x_shape.str() << " -> " << cout << " "
                       << dtype_name(dtype));
        const Tensor x = random_tensor(x_shape, dtype, 200);
        const Tensor w = random_tensor(weights_of(cout, k, x_shape.c), dtype, 201);
        const Tensor b = random_tensor(Shape::vector(cout), dtype, 202);
        const Tensor dy = random_tensor(x_shape.with_channels(cout), dtype, 203);
        Tensor y(dy.shape(), dtype), dx(x_shape, dtype), dw(w.shape(), dtype);
        fill({dw, 0.25});  // accumulated into
        conv3d_forward(x, w, &b, y);
        conv3d_backward_data(dy, w, dx);
        conv3d_backward_weights(x, dy, dw, nullptr);
        std::vector<double> want_dx, want_dw;
        direct_conv_gradients(x, w, dy, want_dx, want_dw);
        for (double& v : want_dw) v += 0.25;
        const Tolerance tol =
            tolerance(dtype == DType::f64 ? Check::gradient_f64 : Check::reduction_f32);
        CHECK(compare(to_doubles(y), direct_conv(x, w, &b), tol).ok);
        CHECK(compare(to_doubles(dx), want_dx, tol).ok);
        CHECK(compare(to_doubles(dw), want_dw, tol).ok);
      }
}

TEST_CASE("a 1x3x3 convolution matches the definition with every register tile", "[conv]") {
  const Shape s{2, 3, 5, 7, 6};
  for (const cpu::ConvTile& tile : every_conv_tile())
    for (const Grid k : {Grid{1, 3, 3}, Grid{3, 1, 1}}) {
      INFO(tile.block << " x " << tile.voxels << (tile.paired ? " paired" : "") << ", kernel "
                      << k.str());
      const Tensor x = random_tensor(s, DType::f32, 210);
      const Tensor w = random_tensor(weights_of(20, k, s.c), DType::f32, 211);
      Tensor y(s.with_channels(20), DType::f32);
      cpu::conv3d_forward_tiled(x, w, y, tile);
      CHECK(compare(to_doubles(y), direct_conv(x, w, nullptr), tolerance(Check::parity_f32)).ok);
    }
}

// Its gradient: verify/op_gradients.cpp.
TEST_CASE("max-pooling with an anisotropic window matches the definition", "[pool]") {
  for (const Grid win : kWindows) {
    const Shape s{2, 4, 5, 6, 3};  // 5 along h: floored where the window is 2
    const Shape out{s.n, s.d / win.d, s.h / win.h, s.w / win.w, s.c};
    INFO("window " << win.str());
    Tensor x = random_tensor(s, DType::f64, 230, -2.0f, 2.0f);
    Tensor y(out, DType::f64);
    maxpool_forward({x, y, win});
    const std::vector<double> xs = to_doubles(x), ys = to_doubles(y);
    int wrong = 0;
    for (std::int64_t n = 0; n < out.n; ++n)
      for (std::int64_t d = 0; d < out.d; ++d)
        for (std::int64_t h = 0; h < out.h; ++h)
          for (std::int64_t w = 0; w < out.w; ++w)
            for (std::int64_t c = 0; c < s.c; ++c) {
              double best = -INFINITY;
              for (std::int64_t a = 0; a < win.d; ++a)
                for (std::int64_t b = 0; b < win.h; ++b)
                  for (std::int64_t e = 0; e < win.w; ++e)
                    best = std::max(best,
                                    xs[static_cast<std::size_t>(
                                        (((n * s.d + win.d * d + a) * s.h + win.h * h + b) * s.w +
                                         win.w * w + e) *
                                            s.c +
                                        c)]);
              wrong += ys[static_cast<std::size_t>(
                           (((n * out.d + d) * out.h + h) * out.w + w) * out.c + c)] != best;
            }
    CHECK(wrong == 0);
  }
}

namespace {

// Instance norm's operands for x of `shape` in f64.
struct InstanceNormCase {
  Tensor x, gamma, beta, mean, inv_std, y;
  explicit InstanceNormCase(Shape shape)
      : x(random_tensor(shape, DType::f64, 250, -1.5f, 2.5f)),
        gamma(random_tensor(Shape::vector(shape.c), DType::f64, 251, 0.5f, 1.5f)),
        beta(random_tensor(Shape::vector(shape.c), DType::f64, 252, -0.5f, 0.5f)),
        mean(Shape::vector(shape.n * shape.c), DType::f64),
        inv_std(Shape::vector(shape.n * shape.c), DType::f64),
        y(shape, DType::f64) {}
  void forward(Activation a) { instancenorm_forward({x, gamma, beta, mean, inv_std, y, {a}}); }
};

}  // namespace

TEST_CASE("instance norm normalises each sample and channel by its own statistics",
          "[instancenorm]") {
  const Shape s{3, 2, 3, 4, 5};
  InstanceNormCase in(s);
  in.forward(Activation::leaky_relu);
  const std::vector<double> x = to_doubles(in.x), y = to_doubles(in.y), g = to_doubles(in.gamma),
                            b = to_doubles(in.beta);
  const std::int64_t voxels = s.d * s.h * s.w;
  double worst = 0;
  for (std::int64_t n = 0; n < s.n; ++n)
    for (std::int64_t c = 0; c < s.c; ++c) {
      double sum = 0, squares = 0;
      for (std::int64_t v = 0; v < voxels; ++v) sum += x[(n * voxels + v) * s.c + c];
      const double mean = sum / static_cast<double>(voxels);
      for (std::int64_t v = 0; v < voxels; ++v) {
        const double dev = x[(n * voxels + v) * s.c + c] - mean;
        squares += dev * dev;
      }
      const double inv_std = 1 / std::sqrt(squares / static_cast<double>(voxels) + 1e-5);
      for (std::int64_t v = 0; v < voxels; ++v) {
        const std::int64_t i = (n * voxels + v) * s.c + c;
        const double z = g[c] * (x[i] - mean) * inv_std + b[c];
        worst = std::max(worst, std::abs(y[i] - (z < 0 ? 0.01 * z : z)));
      }
    }
  INFO("largest difference " << worst);
  CHECK(worst < 1e-12);
}

TEST_CASE("instance norm's f32 backward on the CPU matches the f64 one", "[instancenorm]") {
  // f32 takes BatchNorm's vectorised backward, once per sample.
  const Shape s{2, 3, 5, 7, 8};
  const auto run = [&](DType dtype) {
    const auto cast_to = [&](const Tensor& t) {
      Tensor out(t.shape(), dtype);
      cast({t, out});
      return out;
    };
    InstanceNormCase in(s);
    Tensor x = cast_to(in.x), gamma = cast_to(in.gamma), beta = cast_to(in.beta),
           mean(in.mean.shape(), dtype), inv_std(in.inv_std.shape(), dtype), y(s, dtype);
    instancenorm_forward({x, gamma, beta, mean, inv_std, y, {Activation::leaky_relu}});
    const Tensor dy = cast_to(random_tensor(s, DType::f64, 254));
    Tensor dx(s, dtype), dgamma(gamma.shape(), dtype), dbeta(gamma.shape(), dtype);
    fill({dgamma, 0.0});
    fill({dbeta, 0.0});
    instancenorm_backward(
        {x, y, dy, gamma, mean, inv_std, dx, dgamma, dbeta, {Activation::leaky_relu}});
    return std::vector<std::vector<double>>{to_doubles(y), to_doubles(dx), to_doubles(dgamma),
                                            to_doubles(dbeta)};
  };
  const auto narrow = run(DType::f32), wide = run(DType::f64);
  for (std::size_t i = 0; i < narrow.size(); ++i) {
    const Comparison c = compare(narrow[i], wide[i], tolerance(Check::reduction_f32));
    INFO("output " << i << ": " << c.describe());
    CHECK(c.ok);
  }
}

TEST_CASE("LeakyReLU follows PyTorch: slope 0.01 below zero, NaN passes", "[instancenorm]") {
  CHECK(activate(-2.0f, Activation::leaky_relu) == -2.0f * 0.01f);
  CHECK(activate(3.0, Activation::leaky_relu) == 3.0);
  CHECK(activate(-2.0, Activation::relu) == 0.0);
  CHECK(std::isnan(activate(NAN, Activation::leaky_relu)));
  CHECK(activation_grad(0.0, 5.0, Activation::leaky_relu) == 5.0 * 0.01);  // at 0: the slope's
  CHECK(activation_grad(0.0, 5.0, Activation::relu) == 0.0);
  CHECK(activation_grad(-1.0, 5.0, Activation::none) == 5.0);
}
