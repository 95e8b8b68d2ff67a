// The configurable network (docs/model.md) on the CPU: its parameters for a plan with every
// option on, the whole network's gradients against central differences through the
// deep-supervision loss, that loss against its definition, and the refusals.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "kernels/elementwise.h"
#include "kernels/loss.h"
#include "kernels/resize.h"
#include "layers/train_step.h"
#include "tests/support/gradcheck.h"
#include "tests/support/phantom.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

namespace {

// Depth 3, flat along z (d) at the first level: kernels 1x3x3 there and pooling 1x2x2, then 3s
// and 2s; instance norm, LeakyReLU, deep supervision (ds2), features capped at 4.
UNetConfig anisotropic_plan(std::int64_t features) {
  UNetConfig c{1, 3, features, 3};
  c.kernel_sizes = {{1, 3, 3}, {3, 3, 3}, {3, 3, 3}, {3, 3, 3}};
  c.pool_sizes = {{1, 2, 2}, {2, 2, 2}, {2, 2, 2}};
  c.max_features = 2 * features;
  c.norm = NormKind::instance;
  c.activation = Activation::leaky_relu;
  c.deep_supervision = true;
  return c;
}

}  // namespace

TEST_CASE("the configurable network's parameters follow its plan", "[unet3d]") {
  const UNetConfig c = anisotropic_plan(4);
  CHECK(c.total_pool() == Grid{4, 8, 8});
  CHECK(c.features(1) == 4);
  CHECK(c.features(2) == 8);
  CHECK(c.features(3) == 8);  // capped
  CHECK(c.features(4) == 8);  // the bottleneck, capped
  CHECK_FALSE(c.is_original());
  CHECK(UNetConfig{1, 6, 32, 4}.is_original());
  std::map<std::string, Shape> shapes;
  for (const ParameterSpec& s : unet3d_parameter_specs(c)) shapes[s.name] = s.shape;
  CHECK(shapes.at("enc1.conv1.weight") == Shape{4, 1, 3, 3, 1});  // [out, kd, kh, kw, in]
  CHECK(shapes.at("enc2.conv1.weight") == Shape{8, 3, 3, 3, 4});
  CHECK(shapes.at("bottleneck.conv2.weight") == Shape{8, 3, 3, 3, 8});
  CHECK(shapes.at("up1.weight") == Shape{8, 1, 2, 2, 4});  // [in, pd, ph, pw, out]
  CHECK(shapes.at("up3.weight") == Shape{8, 2, 2, 2, 8});
  CHECK(shapes.at("dec1.conv1.weight") == Shape{4, 1, 3, 3, 8});  // concat: 2 x 4
  CHECK(shapes.at("dec3.conv1.weight") == Shape{8, 3, 3, 3, 16});
  CHECK(shapes.at("ds2.weight") == Shape{3, 1, 1, 1, 8});
  CHECK(shapes.count("ds1.weight") == 0);  // the head serves level 1
  CHECK(shapes.count("ds3.weight") == 0);  // the lowest decoder level has none
  CHECK(shapes.count("enc1.bn1.weight") == 1);
  CHECK(shapes.count("enc1.bn1.running_mean") == 0);  // instance norm keeps no statistics
}

TEST_CASE("the configurable network refuses what its plan rules out", "[unet3d]") {
  UNetConfig ds = anisotropic_plan(2);
  ds.depth = 2;
  ds.kernel_sizes.resize(3);
  ds.pool_sizes.resize(2);
  CHECK_THROWS_WITH(UNet3D(ds, Device::cpu, Precision::f32, 1, Grid{8, 16, 16}),
                    Catch::Contains("--deep-supervision needs --depth 3 or more"));
  const UNetConfig c = anisotropic_plan(2);
  // z must be a multiple of 4 (pooled at levels 2 and 3), y and x of 8.
  CHECK_THROWS_WITH(UNet3D(c, Device::cpu, Precision::f32, 1, Grid{6, 16, 16}),
                    Catch::Contains("multiple of the total pooling 4x8x8"));
  // Instance norm needs 2 voxels per sample at the bottleneck, whatever the batch.
  CHECK_THROWS_WITH(UNet3D(c, Device::cpu, Precision::f32, 4, Grid{4, 8, 8}),
                    Catch::Contains("instance norm needs at least 2"));
  UNetConfig wrong = c;
  wrong.kernel_sizes[1] = {2, 3, 3};
  CHECK_THROWS_WITH(UNet3D(wrong, Device::cpu, Precision::f32, 1, Grid{8, 16, 16}),
                    Catch::Contains("--kernel-sizes: a kernel of 2x3x3"));
  wrong = c;
  wrong.pool_sizes.pop_back();
  CHECK_THROWS_WITH(UNet3D(wrong, Device::cpu, Precision::f32, 1, Grid{8, 16, 16}),
                    Catch::Contains("--pool-sizes: 2 pooling sizes for depth 3"));
}

TEST_CASE("labels reach a deep-supervision output as voxel q j + floor(q / 2) of each axis",
          "[unet3d][loss]") {
  // Pooling of 1, 2 and 4 along d, h and w.
  const Shape full{1, 5, 8, 12, 1}, reduced{1, 5, 4, 3, 1};
  Tensor labels(full, DType::u8), out(reduced, DType::u8);
  for (std::int64_t i = 0; i < full.numel(); ++i)
    labels.data_as<std::uint8_t>()[i] = static_cast<std::uint8_t>(i % 251);
  resize_nearest({labels, out});
  int wrong = 0;
  for (std::int64_t d = 0; d < reduced.d; ++d)
    for (std::int64_t h = 0; h < reduced.h; ++h)
      for (std::int64_t w = 0; w < reduced.w; ++w)
        wrong += out.data_as<std::uint8_t>()[(d * reduced.h + h) * reduced.w + w] !=
                 labels.data_as<std::uint8_t>()[(d * full.h + 2 * h + 1) * full.w + 4 * w + 2];
  CHECK(wrong == 0);
}

TEST_CASE("deep supervision's loss is the weighted mean of every output's loss", "[unet3d][loss]") {
  // Depth 4 with deep supervision: outputs head, ds2 (weight 1/2) and ds3 (1/4).
  UNetConfig c{1, 3, 2, 4};
  c.deep_supervision = true;
  c.norm = NormKind::instance;
  UNet3D net(c, Device::cpu, Precision::f64, 2, Grid::cube(32));
  net.parameters().initialize(3);
  REQUIRE(net.outputs() == 3);
  Optimizer adam(net.parameters(), {});
  LossScaler scaler(false, Device::cpu);
  TrainingStep step(net, adam, scaler, {LossKind::ce}, nullptr, 1);
  Tensor image = net.input(), labels = step.labels();
  Tensor image_f32(image.shape(), DType::f32);
  fill_phantom(image_f32, labels, 4);
  cast({image_f32, image});
  step.micro_batch();
  double expected = 0;
  const double weights[3] = {1.0, 0.5, 0.25};
  for (std::int64_t k = 0; k < 3; ++k) {
    const Tensor output = net.output(k);
    Tensor reduced(output.shape().with_channels(1), DType::u8), loss(Shape::scalar(), DType::f64);
    resize_nearest({labels, reduced});
    cross_entropy({output, reduced, nullptr, loss});
    expected += weights[k] * to_doubles(loss)[0] / 1.75;
  }
  CHECK(step.last_loss() == Approx(expected).epsilon(1e-14));
}

TEST_CASE("the whole configurable network's gradients match central differences",
          "[unet3d][gradcheck]") {
  // Every option at once, through the trainer's own loss (Dice over the head and ds2).
  UNet3D net(anisotropic_plan(2), Device::cpu, Precision::f64, 2, Grid{8, 16, 16});
  ParameterStore& p = net.parameters();
  // A seed whose probes cross no kink of LeakyReLU or max-pooling (seed 7, for one, moves two
  // elements of enc1 across one: central differences are not defined there).
  p.initialize(6);
  // The norms' weights and biases start at 1 and 0; move them off that special point.
  for (std::size_t i = 0; i < p.size(); ++i) {
    const std::string& name = p.spec(i).name;
    if (name.find(".bn") == std::string::npos) continue;
    const bool weight = name.ends_with(".weight");
    p.value(i).copy_from(random_tensor(p.spec(i).shape, DType::f64, 100 + i, weight ? 0.5f : -0.2f,
                                       weight ? 1.5f : 0.2f));
  }
  Optimizer adam(p, {});
  LossScaler scaler(false, Device::cpu);
  TrainingStep step(net, adam, scaler, {LossKind::dice}, nullptr, 1);
  Tensor input = net.input();
  input.copy_from(random_tensor(input.shape(), DType::f64, 6));
  Tensor labels = step.labels();
  labels.copy_from(random_labels(labels.shape(), 3, 7));
  const auto value = [&] {
    p.zero_grads();
    step.micro_batch();
    return step.last_loss();
  };
  value();
  std::vector<Tensor> analytic;
  for (std::size_t i = 0; i < p.size(); ++i) analytic.push_back(p.grad(i).to(Device::cpu));

  double worst = 0;
  std::size_t checked = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    Tensor v = p.value(i);
    const Comparison c = gradient_check("configurable unet3d " + p.spec(i).name, v, analytic[i],
                                        value, {6, 1e-6, Check::gradient_network});
    INFO(c.describe());
    CHECK(c.ok);
    worst = std::max(worst, c.norm_rel_error);
    ++checked;
  }
  std::printf(
      "gradcheck configurable unet3d (depth 3, 1x3x3 and 1x2x2 first, instance norm, LeakyReLU, "
      "deep supervision, features capped; %zu parameter tensors): worst norm-wise relative "
      "error %.3g\n",
      checked, worst);
  CHECK(checked == p.size());
}
