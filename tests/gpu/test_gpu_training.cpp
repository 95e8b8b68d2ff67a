// Training on CUDA: a whole train step against the CPU in f32, mixed precision learning, and a
// training loop that allocates nothing.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "kernels/elementwise.h"
#include "layers/train_step.h"
#include "layers/window_inference.h"
#include "tests/support/phantom.h"
#include "verify/compare.h"

using namespace unet3d;
using namespace unet3d::testing;

namespace {

const UNetConfig kConfig{1, 3, 4, 2};

struct Run {
  UNet3D net;
  Optimizer adam;
  LossScaler scaler;
  TrainingStep step;
  Run(Device device, Precision precision, double lr, Grid grid = Grid::cube(16))
      : net(kConfig, device, precision, 2, grid),
        adam(net.parameters(), {lr}),
        scaler(precision == Precision::f16),
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
      cast(on_device, input);
    }
    Tensor l = step.labels();
    l.copy_from(labels);
  }
};

}  // namespace

// One micro-batch on each backend from the same weights and data: the loss and the gradients
// through the whole network (the convolutions sum in other orders on each side), then a step.
void check_step_parity(Grid grid) {
  Run cpu(Device::cpu, Precision::f32, 1e-3, grid), gpu(Device::cuda, Precision::f32, 1e-3, grid);
  const double cpu_loss = cpu.step.micro_batch(), gpu_loss = gpu.step.micro_batch();
  CHECK(gpu_loss == Approx(cpu_loss).epsilon(1e-5));
  const Comparison grads =
      compare(gpu.net.parameters().grads(), cpu.net.parameters().grads(), {1e-4, 1e-6, 1e-2});
  INFO(grads.describe());
  CHECK(grads.ok);
  CHECK(cpu.step.apply());
  CHECK(gpu.step.apply());
}

TEST_CASE("a training step's loss and gradients match the CPU in f32", "[parity][training]") {
  check_step_parity(Grid::cube(16));
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
  Run run(Device::cuda, Precision::f16, 3e-2);
  double first = 0, last = 0;
  for (int i = 0; i < 30; ++i) {
    last = run.step.micro_batch();
    run.step.micro_batch();
    if (i == 0) first = last;
    REQUIRE(std::isfinite(last));
    run.step.apply();
  }
  std::printf("f16 overfit: Dice loss %.4f -> %.4f, loss scale %.0f, %lld steps skipped\n", first,
              last, run.scaler.scale(), static_cast<long long>(run.scaler.skipped_steps()));
  CHECK(last < 0.5 * first);
}

TEST_CASE("a training loop on the GPU allocates nothing after its first step", "[training]") {
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
}
