// The CUDA skeleton of the per-channel sums (channel_reduce.h), in two passes without atomics:
// blocks of 32 channels x 8 row lanes stride over the rows and reduce their lanes in shared
// memory in a fixed order into one partial per block; then one thread per (quantity, channel)
// adds the partials in block order.
#pragma once

#include <algorithm>

#include "kernels/channel_reduce.h"
#include "kernels/launch.cuh"

namespace unet3d::gpu {

constexpr int kChannelLanes = 32;
constexpr int kRowLanes = 8;
constexpr int kMaxRowBlocks = 256;

template <int Q, class Term>
__global__ void channel_partials(std::int64_t rows, std::int64_t channels, Term term,
                                 double* partials) {
  __shared__ double shared[kRowLanes][kChannelLanes][Q];
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.y) * kChannelLanes + threadIdx.x;
  Sums<Q> acc{};
  if (c < channels) {
    for (std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * kRowLanes + threadIdx.y; r < rows;
         r += static_cast<std::int64_t>(gridDim.x) * kRowLanes) {
      const Sums<Q> s = term(r, c);
      for (int q = 0; q < Q; ++q) acc.v[q] += s.v[q];
    }
  }
  for (int q = 0; q < Q; ++q) shared[threadIdx.y][threadIdx.x][q] = acc.v[q];
  __syncthreads();
  if (threadIdx.y == 0 && c < channels) {
    for (int q = 0; q < Q; ++q) {
      double total = 0;
      for (int lane = 0; lane < kRowLanes; ++lane) total += shared[lane][threadIdx.x][q];
      partials[(static_cast<std::int64_t>(blockIdx.x) * Q + q) * channels + c] = total;
    }
  }
}

__global__ inline void add_partials(int blocks, std::int64_t width, const double* partials,
                                    double* out) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= width) return;
  double total = 0;
  for (int b = 0; b < blocks; ++b) total += partials[b * width + i];
  out[i] = total;
}

// Returns a device pointer to Q * channels sums in the context's scratch, valid until the next
// use of the scratch; kernels launched after this call on the context's stream may read it (and
// overwrite it with what they derive from it).
template <int Q, class Term>
double* channel_sums(std::int64_t rows, std::int64_t channels, const Term& term) {
  Context& context = Context::get();
  const int blocks = static_cast<int>(
      std::clamp<std::int64_t>((rows + kRowLanes * 16 - 1) / (kRowLanes * 16), 1, kMaxRowBlocks));
  const std::int64_t width = Q * channels;
  double* result = static_cast<double*>(
      context.scratch(static_cast<std::size_t>((blocks + 1) * width) * sizeof(double)));
  double* partials = result + width;
  const dim3 grid(static_cast<unsigned>(blocks),
                  static_cast<unsigned>((channels + kChannelLanes - 1) / kChannelLanes));
  channel_partials<Q><<<grid, dim3(kChannelLanes, kRowLanes), 0, context.stream()>>>(
      rows, channels, term, partials);
  UNET3D_CHECK_LAUNCH();
  add_partials<<<static_cast<unsigned>((width + kBlock - 1) / kBlock), kBlock, 0,
                 context.stream()>>>(blocks, width, partials, result);
  UNET3D_CHECK_LAUNCH();
  return result;
}

}  // namespace unet3d::gpu
