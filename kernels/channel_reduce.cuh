// The CUDA skeleton of the per-channel sums (channel_reduce.h), in two passes without atomics,
// each combining in a fixed order (deterministic). Pass one writes a partial per block and
// (quantity, channel), in one of two layouts:
// - few channels (C <= 32: the losses, the metrics): each thread walks rows and sums all C
//   channels of each in registers; warps combine by shuffles, then the block's warps in order.
//   Every lane works, and there are blocks enough to fill the card;
// - many channels (BatchNorm's): blocks of 32 channel lanes x 8 row lanes stride over the rows
//   and combine their row lanes in shared memory.
// Pass two: one thread per (quantity, channel) adds the partials in block order.
#pragma once

#include <algorithm>

#include "kernels/channel_reduce.h"
#include "kernels/launch.cuh"

namespace unet3d::gpu {

constexpr int kNarrowMaxChannels = 32;
constexpr int kNarrowThreads = 256;
constexpr int kNarrowMaxBlocks = 1024;
constexpr int kRowsPerNarrowThread = 4;

constexpr int kChannelLanes = 32;
constexpr int kRowLanes = 8;
constexpr int kMaxRowBlocks = 256;

// Few channels: MaxC (1, 8 or 32) bounds `channels` at compile time, so the sums stay in
// registers.
template <int Q, int MaxC, class Term>
__global__ void narrow_channel_partials(std::int64_t rows, int channels, Term term,
                                        double* partials) {
  double acc[Q][MaxC] = {};
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < rows;
       r += stride) {
#pragma unroll
    for (int c = 0; c < MaxC; ++c) {
      if (c < channels) {
        const Sums<Q> s = term(r, static_cast<std::int64_t>(c));
#pragma unroll
        for (int q = 0; q < Q; ++q) acc[q][c] += s.v[q];
      }
    }
  }
  constexpr int kWarps = kNarrowThreads / 32;
  __shared__ double warp_sums[kWarps][Q * MaxC];
  const int lane = static_cast<int>(threadIdx.x % 32), warp = static_cast<int>(threadIdx.x / 32);
#pragma unroll
  for (int q = 0; q < Q; ++q) {
#pragma unroll
    for (int c = 0; c < MaxC; ++c) {
      double v = acc[q][c];
      for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
      if (lane == 0) warp_sums[warp][q * MaxC + c] = v;
    }
  }
  __syncthreads();
  for (int i = static_cast<int>(threadIdx.x); i < Q * channels; i += kNarrowThreads) {
    const int q = i / channels, c = i % channels;
    double total = 0;
    for (int w = 0; w < kWarps; ++w) total += warp_sums[w][q * MaxC + c];
    partials[(static_cast<std::int64_t>(blockIdx.x) * Q + q) * channels + c] = total;
  }
}

template <int Q, class Term>
__global__ void wide_channel_partials(std::int64_t rows, std::int64_t channels, Term term,
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

// A template, so that every .cu file including this header may instantiate it.
template <int Q>
__global__ void add_partials(int blocks, std::int64_t width, const double* partials, double* out) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= width) return;
  double total = 0;
  for (int b = 0; b < blocks; ++b) total += partials[b * width + i];
  out[i] = total;
}

// The number of partial blocks either layout uses for `rows` rows of `channels` channels: a
// function of the shape alone, so the combining order never depends on the card.
inline int channel_sum_blocks(std::int64_t rows, std::int64_t channels) {
  if (channels <= kNarrowMaxChannels)
    return static_cast<int>(
        std::clamp<std::int64_t>((rows + kNarrowThreads * kRowsPerNarrowThread - 1) /
                                     (kNarrowThreads * kRowsPerNarrowThread),
                                 1, kNarrowMaxBlocks));
  return static_cast<int>(
      std::clamp<std::int64_t>((rows + kRowLanes * 16 - 1) / (kRowLanes * 16), 1, kMaxRowBlocks));
}

// Returns a device pointer to Q * channels sums in the context's scratch, valid until the next
// use of the scratch; kernels launched after this call on the context's stream may read it (and
// overwrite it with what they derive from it).
template <int Q, class Term>
double* channel_sums(std::int64_t rows, std::int64_t channels, const Term& term) {
  Context& context = Context::get();
  const int blocks = channel_sum_blocks(rows, channels);
  const std::int64_t width = Q * channels;
  double* result = static_cast<double*>(
      context.scratch(static_cast<std::size_t>((blocks + 1) * width) * sizeof(double)));
  double* partials = result + width;
  cudaStream_t stream = context.stream();
  if (channels <= kNarrowMaxChannels) {
    const int c = static_cast<int>(channels);
    const auto grid = static_cast<unsigned>(blocks);
    if (c == 1)
      narrow_channel_partials<Q, 1><<<grid, kNarrowThreads, 0, stream>>>(rows, c, term, partials);
    else if (c <= 8)
      narrow_channel_partials<Q, 8><<<grid, kNarrowThreads, 0, stream>>>(rows, c, term, partials);
    else
      narrow_channel_partials<Q, kNarrowMaxChannels>
          <<<grid, kNarrowThreads, 0, stream>>>(rows, c, term, partials);
  } else {
    const dim3 grid(static_cast<unsigned>(blocks),
                    static_cast<unsigned>((channels + kChannelLanes - 1) / kChannelLanes));
    wide_channel_partials<Q>
        <<<grid, dim3(kChannelLanes, kRowLanes), 0, stream>>>(rows, channels, term, partials);
  }
  UNET3D_CHECK_LAUNCH();
  add_partials<Q><<<static_cast<unsigned>((width + kBlock - 1) / kBlock), kBlock, 0, stream>>>(
      blocks, width, partials, result);
  UNET3D_CHECK_LAUNCH();
  return result;
}

}  // namespace unet3d::gpu
