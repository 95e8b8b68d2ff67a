// The UNet3D on the CPU: its parameter count, the whole network's gradients against central
// differences, and a training step that allocates nothing.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "kernels/loss.h"
#include "layers/unet3d.h"
#include "tests/support/gradcheck.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

TEST_CASE("UNet3D(f=32, depth 4) has the contract's 22,578,438 parameters", "[unet3d]") {
  std::int64_t total = 0, buffers = 0;
  const auto specs = unet3d_parameter_specs({1, 6, 32, 4});
  for (const ParameterSpec& s : specs) (s.trainable ? total : buffers) += s.shape.numel();
  CHECK(total == 22578438);
  CHECK(specs.front().name == "enc1.conv1.weight");
  CHECK(specs.front().shape == Shape{32, 3, 3, 3, 1});
  CHECK(specs.back().name == "head.bias");
}

TEST_CASE("UNet3D refuses sizes the contract rules out", "[unet3d]") {
  CHECK_THROWS_WITH(UNet3D({1, 3, 2, 2}, Device::cpu, Precision::f32, 1, 10),
                    Catch::Contains("multiple of 2^depth = 4"));
  CHECK_THROWS_WITH(UNet3D({1, 3, 2, 2}, Device::cpu, Precision::f32, 1, 4),
                    Catch::Contains("fewer than 2 values per channel"));
  CHECK_THROWS_WITH(UNet3D({1, 3, 2, 2}, Device::cpu, Precision::f16, 2, 8),
                    Catch::Contains("needs the CUDA backend"));
  CHECK_THROWS_WITH(UNet3D({1, 3, 2, 2}, Device::cpu, Precision::f32, 1, Grid{8, 6, 12}),
                    Catch::Contains("input size 8x6x12 must be in each side a positive multiple "
                                    "of 2^depth = 4"));
  CHECK_THROWS_WITH(UNet3D({1, 3, 2, 2}, Device::cpu, Precision::f32, 1, Grid{4, 4, 4}),
                    Catch::Contains("fewer than 2 values per channel at the bottleneck (1)"));
  const UNet3D flat({1, 3, 2, 2}, Device::cpu, Precision::f32, 1, Grid{4, 8, 12});
  CHECK(flat.grid().h == 8);
  CHECK_THROWS_WITH(flat.size(), Catch::Contains("the grid 4x8x12 is not a cube"));
}

// Every activation follows the grid's three sides through the levels.
TEST_CASE("UNet3D runs on a grid whose sides differ", "[unet3d]") {
  UNet3D net({1, 3, 4, 2}, Device::cpu, Precision::f32, 1, Grid{8, 12, 20});
  net.parameters().initialize(3);
  Tensor input = net.input();
  CHECK(input.shape() == Shape{1, 8, 12, 20, 1});
  input.copy_from(random_tensor(input.shape(), DType::f32, 4));
  const Tensor logits = net.forward(false);
  CHECK(logits.shape() == Shape{1, 8, 12, 20, 3});
  const std::vector<ConvLayerShape> shapes = unet3d_conv_shapes({1, 3, 4, 2}, 1, Grid{8, 12, 20});
  for (const ConvLayerShape& layer : shapes)
    if (layer.name.starts_with("bottleneck")) CHECK(layer.x.h == 3);
  for (const double v : to_doubles(logits)) REQUIRE(std::isfinite(v));
}

// On a cube with one input channel, and on a grid whose three sides differ (the patch mode's
// inputs) with two input channels.
TEST_CASE("the whole network's gradients match central differences", "[unet3d][gradcheck]") {
  const auto [grid, in_channels] = GENERATE(std::pair{Grid::cube(16), std::int64_t{1}},
                                            std::pair{Grid{4, 8, 12}, std::int64_t{2}});
  INFO("grid " << grid.str() << ", " << in_channels << " input channel(s)");
  const UNetConfig config{in_channels, 3, 2, 2};
  UNet3D net(config, Device::cpu, Precision::f64, 2, grid);
  net.parameters().initialize(5);
  // BatchNorm's weights and biases start at 1 and 0; move them off that special point.
  ParameterStore& p = net.parameters();
  for (std::size_t i = 0; i < p.size(); ++i) {
    const std::string& name = p.spec(i).name;
    if (p.spec(i).trainable && name.find(".bn") != std::string::npos) {
      const bool weight = name.ends_with(".weight");
      p.value(i).copy_from(random_tensor(p.spec(i).shape, DType::f64, 100 + i,
                                         weight ? 0.5f : -0.2f, weight ? 1.5f : 0.2f));
    }
  }
  Tensor input = net.input();
  input.copy_from(random_tensor(input.shape(), DType::f64, 6));
  const Tensor labels = random_labels(input.shape().with_channels(1), 3, 7);
  Tensor loss(Shape::scalar(), DType::f64), grad = net.logits_grad();

  const auto value = [&] {
    dice_loss({net.forward(true), labels, false, loss});
    return to_doubles(loss)[0];
  };
  dice_loss({net.forward(true), labels, false, loss, {&grad}});
  p.zero_grads();
  net.backward();

  double worst = 0;
  std::size_t checked = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!p.spec(i).trainable) continue;
    Tensor v = p.value(i);
    const Comparison c = gradient_check("unet3d " + p.spec(i).name, v, p.grad(i), value,
                                        {6, 1e-6, Check::gradient_network});
    INFO(c.describe());
    CHECK(c.ok);
    worst = std::max(worst, c.norm_rel_error);
    ++checked;
  }
  std::printf(
      "gradcheck unet3d %s, %lld input channel(s) (all %zu parameter tensors): worst norm-wise "
      "relative error %.3g\n",
      grid.str().c_str(), static_cast<long long>(in_channels), checked, worst);
  CHECK(checked == 36);
}
