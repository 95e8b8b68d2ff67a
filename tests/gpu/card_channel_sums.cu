// The card's per-channel sums of the reduction test term.
#include "kernels/channel_reduce.cuh"
#include "runtime/gpu_runtime.h"
#include "tests/gpu/card_channel_sums.h"
#include "tests/support/reduction_term.h"

namespace unet3d::testing {

std::vector<double> card_channel_sums(std::int64_t rows, std::int64_t channels) {
  const double* sums = gpu::channel_sums<2>(rows, channels, ReductionTestTerm{});
  std::vector<double> host(static_cast<std::size_t>(2 * channels));
  gpu::copy_bytes(host.data(), Device::cpu, sums, Device::cuda, host.size() * sizeof(double));
  return host;
}

}  // namespace unet3d::testing
