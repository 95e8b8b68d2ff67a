// The memory lower bound of a training configuration.
#include "tools/run/memory_budget.h"

#include <algorithm>

#include "layers/unet3d.h"
#include "runtime/error.h"

namespace unet3d {
namespace {

std::string gigabytes(double bytes) {
  return concat(bytes / 1e9, " GB");
}

constexpr double kF32 = 4;
// Each arena slot may be rounded up to the arena's alignment.
constexpr double kSlotSlack = 256;

double voxels_of(std::int64_t batch, Grid g) {
  return static_cast<double>(batch) * static_cast<double>(g.voxels());
}

// The CPU convolution's scratch for one convolution of `cin` -> `cout` channels with `kernel`
// on `batch` x `g` (kernels/conv3d_cpu.cpp): the padded input (or, for the input's gradient, the
// padded output gradient) with the packed weights, and for the weight gradient `threads` f64
// partial sums, the padded input and the widened output gradient, channels rounded up to the
// register tiles (at most 15 more).
double conv_scratch(std::int64_t batch, Grid g, Grid kernel, std::int64_t cin, std::int64_t cout,
                    std::int64_t threads) {
  const Grid padded{g.d + kernel.d - 1, g.h + kernel.h - 1, g.w + kernel.w - 1};
  const double taps = static_cast<double>(kernel.voxels()), rows = voxels_of(batch, padded) + 16,
               in = static_cast<double>(cin), out = static_cast<double>(cout);
  const double forward = (rows * in + (out + 15) * taps * in) * kF32;
  const double input_grad = (rows * out + (in + 15) * taps * out) * kF32;
  const double weight_grad = static_cast<double>(threads) * taps * (out + 15) * (in + 15) * 8 +
                             (rows * (in + 15) + voxels_of(batch, g) * (out + 15) * 2) * kF32;
  return std::max({forward, input_grad, weight_grad});
}

}  // namespace

StepMemory training_step_memory(const UNetConfig& c, std::int64_t batch, Grid grid,
                                std::int64_t threads) {
  StepMemory m;
  const auto tensor = [&](std::int64_t level, std::int64_t channels) {
    return voxels_of(batch, c.grid_at(grid, level)) * static_cast<double>(channels) * kF32 +
           kSlotSlack;
  };
  const std::int64_t stat_rows = c.norm == NormKind::instance ? batch : 1;
  const auto block = [&](std::int64_t level, std::int64_t cout) {  // 6 tensors, 4 statistics
    return 6 * tensor(level, cout) +
           4 * (static_cast<double>(stat_rows * cout) * kF32 + kSlotSlack);
  };
  const std::int64_t d = c.depth;
  for (std::int64_t i = 1; i <= d; ++i) {
    const std::int64_t f = c.features(i);
    // encoder and decoder blocks; pooled and its gradient; the encoder's and skip's gradients,
    // the up-convolution and its gradient, the decoder output's gradient; the concatenation and
    // its gradient
    m.activations +=
        2 * block(i, f) + 2 * tensor(i + 1, f) + 5 * tensor(i, f) + 2 * tensor(i, 2 * f);
    const Grid below = c.grid_at(grid, i + 1);
    m.workspace = std::max(
        {m.workspace, voxels_of(batch, below) * static_cast<double>(c.pool(i).voxels() * f) * kF32,
         conv_scratch(batch, c.grid_at(grid, i), c.kernel(i),
                      i == 1 ? c.in_channels : c.features(i - 1), f, threads),
         conv_scratch(batch, c.grid_at(grid, i), c.kernel(i), 2 * f, f, threads),
         conv_scratch(batch, c.grid_at(grid, i), c.kernel(i), f, f, threads)});
  }
  const std::int64_t fb = c.features(d + 1);
  m.activations += block(d + 1, fb) + tensor(d + 1, fb);
  m.workspace = std::max(
      {m.workspace,
       conv_scratch(batch, c.grid_at(grid, d + 1), c.kernel(d + 1), c.features(d), fb, threads),
       conv_scratch(batch, c.grid_at(grid, d + 1), c.kernel(d + 1), fb, fb, threads)});
  for (const std::int64_t level : c.supervised_levels()) {
    m.activations += 2 * tensor(level, c.num_classes) + tensor(level, c.features(level));
    m.loss += voxels_of(batch, c.grid_at(grid, level)) + 2 * kSlotSlack;
  }
  m.activations += tensor(1, c.in_channels) + 2 * tensor(1, c.num_classes);
  m.loss += voxels_of(batch, grid) + 2 * kSlotSlack;
  double values = 0;
  for (const ParameterSpec& spec : unet3d_parameter_specs(c))
    values += static_cast<double>(spec.shape.numel());
  m.parameters = 4 * values * kF32;
  return m;
}

MemoryNeed training_memory_need(const RunConfig& c, double dataset_voxels, double raw_voxels,
                                std::int64_t channels) {
  double voxels =
      static_cast<double>(c.size) * static_cast<double>(c.size) * static_cast<double>(c.size);
  if (c.patch_mode && c.patch) voxels = std::max(voxels, static_cast<double>(c.patch->voxels()));
  const double activation = c.precision == Precision::f16 ? 2 : 4;
  MemoryNeed need;
  const double image_bytes = 4 * static_cast<double>(channels);  // f32 per channel
  need.dataset = dataset_voxels * (image_bytes + 1);
  need.dataset_on_device = !c.patch_mode;
  // At the first level UNet3D plans six tensors per block (encoder and decoder), five more of
  // `features` channels and two of twice that (the concatenation and its gradient): 21 tensors of
  // batch x size^3 x features. The deeper levels only add to it.
  const double features = static_cast<double>(network_config(c, channels, 2).features(1));
  need.network = 21 * static_cast<double>(c.batch) * voxels * features * activation;
  // The image as read (f32 channels), its label map (u8) and the generator's or file's own copy
  // (<= 4 B).
  need.raw_case = raw_voxels * (image_bytes + 1 + 4);
  return need;
}

std::string memory_shortfall(const MemoryNeed& need, bool on_gpu, double host_available,
                             double device_available, const std::string& flags) {
  const double host = need.dataset + need.raw_case + (on_gpu ? 0 : need.network);
  const double device = need.network + (need.dataset_on_device ? need.dataset : 0);
  std::string what;
  if (host_available > 0 && host > host_available)
    what = concat("at least ", gigabytes(host), " of host memory (dataset ",
                  gigabytes(need.dataset), ", one raw case ", gigabytes(need.raw_case),
                  on_gpu ? "" : concat(", network ", gigabytes(need.network)), ") but ",
                  gigabytes(host_available), " are available");
  else if (on_gpu && device_available > 0 && device > device_available)
    what =
        concat("at least ", gigabytes(device), " of GPU memory (network ", gigabytes(need.network),
               need.dataset_on_device ? concat(", dataset ", gigabytes(need.dataset)) : "",
               ") but ", gigabytes(device_available), " are free");
  return what.empty() ? "" : concat(flags, ": this configuration needs ", what);
}

}  // namespace unet3d
