// The plan's memory bound of a training step against what a step measurably allocates.
#include <omp.h>

#include <catch2/catch.hpp>
#include <thread>

#include "kernels/elementwise.h"
#include "layers/train_step.h"
#include "runtime/buffer.h"
#include "tools/run/memory_budget.h"

using namespace unet3d;

namespace {

// The peak bytes above what was live before, while a network of `c` at `batch` x `grid` is built
// and takes one Adam step with `threads` OpenMP threads, measured on a thread of its own (a fresh
// CPU workspace); with the arena's planned bytes.
struct Measured {
  double peak = 0, arena = 0;
};
Measured measure_step(const UNetConfig& c, std::int64_t batch, Grid grid, int threads) {
  Measured m;
  std::thread([&] {
    omp_set_num_threads(threads);
    const double before = static_cast<double>(memory_stats().live_bytes[0]);
    reset_memory_peaks();
    {
      UNet3D net(c, Device::cpu, Precision::f32, batch, grid);
      net.parameters().initialize(5);
      Optimizer adam(net.parameters(), {});
      LossScaler scaler(false, Device::cpu);
      TrainingStep step(net, adam, scaler, {LossKind::dicece}, nullptr, 1);
      Tensor image = net.input(), labels = step.labels();
      fill_uniform({image, 7, -1.0f, 1.0f});
      fill({labels, 1});
      step.micro_batch(true);
      step.apply();
      m.arena = static_cast<double>(net.planned_bytes());
    }
    m.peak = static_cast<double>(memory_stats().peak_bytes[0]) - before;
  }).join();
  return m;
}

}  // namespace

TEST_CASE("the plan's step-memory bound holds a step's measured peak, within a quarter",
          "[plan][memory]") {
  UNetConfig flat{2, 4, 4, 3};
  flat.kernel_sizes = {{1, 3, 3}, {3, 3, 3}, {3, 3, 3}, {3, 3, 3}};
  flat.pool_sizes = {{1, 2, 2}, {2, 2, 2}, {2, 2, 2}};
  flat.norm = NormKind::instance;
  flat.deep_supervision = true;
  flat.max_features = 16;
  const struct {
    const char* name;
    UNetConfig config;
    std::int64_t batch;
    Grid grid;
  } cases[] = {{"original", UNetConfig{1, 3, 4, 3}, 2, Grid::cube(16)},
               {"anisotropic, instance norm, deep supervision, capped", flat, 3, Grid{8, 24, 16}}};
  for (const auto& k : cases)
    for (const int threads : {1, omp_get_max_threads()}) {  // the plan's figure; this machine's
      const Measured m = measure_step(k.config, k.batch, k.grid, threads);
      const StepMemory bound = training_step_memory(k.config, k.batch, k.grid, threads);
      INFO(k.name << ", " << threads << " thread(s): measured " << m.peak << " B (arena " << m.arena
                  << "), bound " << bound.total() << " B (activations " << bound.activations
                  << ", parameters " << bound.parameters << ", loss " << bound.loss
                  << ", workspace " << bound.workspace << ")");
      CHECK(m.arena <= bound.activations);
      CHECK(bound.activations <= 1.1 * m.arena);
      CHECK(m.peak <= bound.total());
      CHECK(bound.total() <= 1.25 * m.peak);
    }
}
