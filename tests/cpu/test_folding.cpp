// Inference with each BatchNorm folded into its convolution: the convolution's bias-and-
// activation epilogue gives exactly the separate passes it replaces, on every register tile and
// through the 1x1x1 GEMM; the folded network's probabilities equal the unfolded one's within
// 1e-5 (f32) for BatchNorm with ReLU and LeakyReLU; instance norm is left alone; training drops
// the folded copies.
#include <catch2/catch.hpp>
#include <cmath>

#include "kernels/accumulate.h"
#include "kernels/conv3d_cpu.h"
#include "layers/inference.h"
#include "layers/unet3d.h"
#include "tests/support/conv_reference.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

namespace {

// activation(conv + bias) the long way: the convolution alone, then the bias and activation
// pass (add_channel_bias), which is what the CUDA path runs.
Tensor separate_passes(const Tensor& x, const Tensor& w, const Tensor& bias, Activation a,
                       const cpu::ConvTile* tile) {
  Tensor y(x.shape().with_channels(w.shape().n), x.dtype());
  if (tile != nullptr)
    cpu::conv3d_forward_tiled(x, w, y, *tile);
  else
    cpu::conv3d_forward(x, w, y);
  add_channel_bias({y, bias, a});
  return y;
}

// The network's logits and (f32) probabilities on `input` ([N, D, H, W, C] in its dtype).
struct Outputs {
  std::vector<double> logits, probabilities;
};
Outputs outputs(UNet3D& net, const Tensor& input) {
  net.input().copy_from(input);
  const Tensor logits = net.forward(false);
  Tensor p(logits.shape(), DType::f32);
  class_probabilities(logits, p);
  return {to_doubles(logits), to_doubles(p)};
}

double largest_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

// A BatchNorm network whose running statistics and norm weights are far from their initial
// values, so that folding has something to fold.
void train_statistics(UNet3D& net, DType dtype) {
  ParameterStore& p = net.parameters();
  p.initialize(3);
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p.spec(i).name.find(".bn") != std::string::npos && p.spec(i).trainable)
      p.value(i).copy_from(random_tensor(p.spec(i).shape, dtype, 40 + i, 0.5f, 1.5f));
  for (int pass = 0; pass < 3; ++pass) {
    net.input().copy_from(random_tensor(net.input().shape(), dtype, 20 + pass, -2.0f, 3.0f));
    net.forward(true);
  }
}

}  // namespace

TEST_CASE("the convolution's bias and activation epilogue equals the separate passes",
          "[folding]") {
  const Shape s{2, 3, 5, 7, 6};
  for (const DType dtype : {DType::f32, DType::f64})
    for (const Activation a : {Activation::none, Activation::relu, Activation::leaky_relu}) {
      const Tensor x = random_tensor(s, dtype, 90);
      const Tensor w = random_tensor({16, 3, 3, 3, s.c}, dtype, 91);
      const Tensor bias = random_tensor(Shape::vector(16), dtype, 92);
      for (const cpu::ConvTile& tile : every_conv_tile()) {
        if (tile.paired && dtype == DType::f64) continue;  // pairs of f32 only
        INFO(tile.block << " x " << tile.voxels << " " << dtype_name(dtype) << " activation "
                        << static_cast<int>(a));
        Tensor y(s.with_channels(16), dtype);
        cpu::conv3d_forward_tiled(x, w, y, tile, {&bias, a});
        CHECK(to_doubles(y) == to_doubles(separate_passes(x, w, bias, a, &tile)));
      }
      // The 1x1x1 kernel is a GEMM, its epilogue a pass of its own.
      const Tensor w1 = random_tensor({16, 1, 1, 1, s.c}, dtype, 93);
      Tensor y(s.with_channels(16), dtype);
      cpu::conv3d_forward(x, w1, y, {&bias, a});
      CHECK(to_doubles(y) == to_doubles(separate_passes(x, w1, bias, a, nullptr)));
    }
}

TEST_CASE("a BatchNorm network folded computes the probabilities it computed unfolded",
          "[folding]") {
  UNetConfig anisotropic(2, 4, 4, 3);
  anisotropic.kernel_sizes = {{1, 3, 3}, {3, 3, 3}, {3, 3, 3}, {3, 3, 3}};
  anisotropic.pool_sizes = {{1, 2, 2}, {2, 2, 2}, {2, 2, 2}};
  anisotropic.activation = Activation::leaky_relu;
  for (const UNetConfig& config : {UNetConfig(1, 6, 4, 2), anisotropic})
    for (const DType dtype : {DType::f32, DType::f64}) {
      INFO(config.in_channels << " channels, " << dtype_name(dtype));
      const Precision precision = dtype == DType::f64 ? Precision::f64 : Precision::f32;
      UNet3D net(config, Device::cpu, precision, 2, Grid{8, 16, 16});
      train_statistics(net, dtype);
      const Tensor input = random_tensor(net.input().shape(), dtype, 7);
      const Outputs unfolded = outputs(net, input);
      REQUIRE(net.fold_batchnorm());
      CHECK(net.batchnorm_folded());
      const Outputs folded = outputs(net, input);
      const double probabilities = largest_difference(folded.probabilities, unfolded.probabilities),
                   logits = largest_difference(folded.logits, unfolded.logits);
      INFO("largest difference: probabilities " << probabilities << ", logits " << logits);
      CHECK(probabilities <= 1e-5);
      // In f64 the two differ by rounding only (and the f32 probabilities hide that).
      if (dtype == DType::f64) CHECK(logits <= 1e-12);
      // A training forward changes what was folded: the folded copies go.
      net.forward(true);
      CHECK_FALSE(net.batchnorm_folded());
    }
}

TEST_CASE("instance norm has nothing to fold", "[folding]") {
  UNetConfig config(1, 3, 4, 2);
  config.norm = NormKind::instance;
  UNet3D net(config, Device::cpu, Precision::f32, 1, 8);
  net.parameters().initialize(5);
  const Tensor input = random_tensor(net.input().shape(), DType::f32, 8);
  const Outputs before = outputs(net, input);
  CHECK_FALSE(net.fold_batchnorm());
  CHECK_FALSE(net.batchnorm_folded());
  CHECK(outputs(net, input).logits == before.logits);
}
