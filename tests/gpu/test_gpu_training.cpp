// Training on CUDA: a whole train step against the CPU in f32, mixed precision learning, and a
// training loop that allocates nothing.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "kernels/elementwise.h"
#include "layers/inference.h"
#include "layers/train_step.h"
#include "layers/window_inference.h"
#include "tests/support/phantom.h"
#include "verify/compare.h"

using namespace unet3d;
using namespace unet3d::testing;

namespace {

const UNetConfig kConfig{1, 3, 4, 2};

// Depth 3 flat along z at the first level (1x3x3 kernels, 1x2x2 pooling), instance norm,
// LeakyReLU, deep supervision, features capped at 8.
UNetConfig configurable_network() {
  UNetConfig c{1, 3, 4, 3};
  c.kernel_sizes = {{1, 3, 3}, {3, 3, 3}, {3, 3, 3}, {3, 3, 3}};
  c.pool_sizes = {{1, 2, 2}, {2, 2, 2}, {2, 2, 2}};
  c.max_features = 8;
  c.norm = NormKind::instance;
  c.activation = Activation::leaky_relu;
  c.deep_supervision = true;
  return c;
}

struct Run {
  UNet3D net;
  Optimizer adam;
  LossScaler scaler;
  TrainingStep step;
  Run(Device device, Precision precision, double lr, Grid grid = Grid::cube(16),
      const UNetConfig& config = kConfig)
      : net(config, device, precision, 2, grid),
        adam(net.parameters(), {lr}),
        scaler(precision == Precision::f16, device),
        step(net, adam, scaler, {LossKind::dice}, nullptr, 2) {
    net.parameters().initialize(31);
    Tensor image({2, grid.d, grid.h, grid.w, 1}, DType::f32),
        labels({2, grid.d, grid.h, grid.w, 1}, DType::u8);
    fill_phantom(image, labels, 32);
    Tensor input = net.input();
    if (input.dtype() == DType::f32) {
      input.copy_from(image);
    } else {
      Tensor on_device = image.to(device);
      cast({on_device, input});
    }
    Tensor l = step.labels();
    l.copy_from(labels);
  }
};

}  // namespace

// One micro-batch on each backend from the same weights and data: the loss and the gradients
// through the whole network (the convolutions sum in other orders on each side), then a step.
void check_step_parity(Grid grid, const UNetConfig& config = kConfig) {
  Run cpu(Device::cpu, Precision::f32, 1e-3, grid, config),
      gpu(Device::cuda, Precision::f32, 1e-3, grid, config);
  cpu.step.micro_batch();
  gpu.step.micro_batch();
  CHECK(gpu.step.last_loss() == Approx(cpu.step.last_loss()).epsilon(1e-5));
  const Comparison grads =
      compare(gpu.net.parameters().grads(), cpu.net.parameters().grads(), {1e-4, 1e-6, 1e-2});
  INFO(grads.describe());
  CHECK(grads.ok);
  cpu.step.apply();
  gpu.step.apply();
  CHECK(cpu.adam.steps() == 1);
  CHECK(gpu.adam.steps() == 1);
}

TEST_CASE("a training step's loss and gradients match the CPU in f32", "[parity][training]") {
  check_step_parity(Grid::cube(16));
}

TEST_CASE("a training step of the configurable network matches the CPU in f32",
          "[parity][training]") {
  check_step_parity({8, 16, 16}, configurable_network());
}

TEST_CASE("a training step on a grid with D != H != W matches the CPU in f32",
          "[parity][training]") {
  check_step_parity({8, 12, 20});
}

TEST_CASE("sliding-window probabilities on the GPU match the CPU's", "[parity][sliding_window]") {
  // Windows of 8x12x16 over a 13x20x30 volume: padding on no axis, several starts on each.
  Run cpu(Device::cpu, Precision::f32, 1e-3, {8, 12, 16}),
      gpu(Device::cuda, Precision::f32, 1e-3, {8, 12, 16});
  const Grid volume_grid{13, 20, 30};
  std::vector<float> volume(static_cast<std::size_t>(volume_grid.voxels()));
  for (std::size_t i = 0; i < volume.size(); ++i)
    volume[i] = static_cast<float>(std::sin(0.013 * static_cast<double>(i)));
  for (const bool mirror : {false, true}) {
    const std::vector<float> a = window_probabilities(cpu.net, volume, volume_grid, {0.5, mirror}),
                             b = window_probabilities(gpu.net, volume, volume_grid, {0.5, mirror});
    REQUIRE(a.size() == b.size());
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
      worst = std::max(worst, std::abs(double(a[i]) - b[i]));
    INFO("mirror " << mirror << ": largest difference " << worst);
    CHECK(worst < 1e-4);
  }
}

TEST_CASE("mixed precision training lowers the loss", "[training]") {
  // The scaler starts at 65536, so the first steps may overflow and be skipped: count the steps
  // applied, and train until 30 of them have been (or give up after 60 tries).
  Run run(Device::cuda, Precision::f16, 3e-2);
  double first = NAN, last = 0;
  int tries = 0;
  for (; run.adam.steps() < 30 && tries < 60; ++tries) {
    run.step.micro_batch();
    run.step.micro_batch();
    last = run.step.last_loss();
    REQUIRE(std::isfinite(last));
    run.step.apply();
    if (std::isnan(first) && run.adam.steps() == 1) first = last;  // the first applied step's
  }
  std::printf(
      "f16 overfit: Dice loss %.4f -> %.4f over %lld applied steps (%d tried), "
      "loss scale %.0f, %lld skipped\n",
      first, last, static_cast<long long>(run.adam.steps()), tries, run.scaler.scale(),
      static_cast<long long>(run.scaler.skipped_steps()));
  REQUIRE(run.adam.steps() == 30);
  CHECK(last < 0.5 * first);
}

TEST_CASE("a training loop on the GPU, and inference's probabilities, allocate nothing",
          "[training]") {
  Run run(Device::cuda, Precision::f16, 1e-3);
  run.step.micro_batch();
  run.step.apply();
  const std::int64_t before = memory_stats().allocations;
  for (int i = 0; i < 3; ++i) {
    run.step.micro_batch();
    run.step.apply();
  }
  run.step.evaluate();
  CHECK(memory_stats().allocations == before);
  // Inference's probabilities of the f16 logits, as every sliding-window batch takes them.
  Tensor probabilities(run.net.input().shape().with_channels(kConfig.num_classes), DType::f32,
                       Device::cuda);
  const std::int64_t before_inference = memory_stats().allocations;
  for (int i = 0; i < 3; ++i) class_probabilities(run.net.forward(false), probabilities);
  CHECK(memory_stats().allocations == before_inference);
}
