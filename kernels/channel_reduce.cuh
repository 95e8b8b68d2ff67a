// The CUDA skeleton of the per-channel sums (channel_reduce.h), in two passes without atomics,
// each combining in a fixed order (deterministic). Pass one writes a partial per row block and
// (quantity, channel), in one of two layouts (few channels: a thread sums every channel of its
// rows, warps combine by shuffles; many channels: channel lanes x row lanes); pass two adds the
// partials in block order. channel_reduce_layout.h holds every index and order used here, and
// channel_reduce_emulation.h replays them on the CPU for the tests.
#pragma once

#include "kernels/channel_reduce.h"
#include "kernels/channel_reduce_layout.h"
#include "kernels/launch.cuh"

namespace unet3d::gpu {

namespace layout = unet3d::channel_reduce;

// Few channels: MaxC (layout::narrow_register_channels) bounds `channels` at compile time, so
// the sums stay in registers.
template <int Q, int MaxC, class Term>
__global__ void narrow_channel_partials(std::int64_t rows, int channels, Term term,
                                        double* partials) {
  double acc[Q][MaxC] = {};
  const int block = static_cast<int>(blockIdx.x), thread = static_cast<int>(threadIdx.x);
  const std::int64_t stride = layout::narrow_row_stride(static_cast<int>(gridDim.x));
  for (std::int64_t r = layout::narrow_first_row(block, thread); r < rows; r += stride) {
#pragma unroll
    for (int c = 0; c < MaxC; ++c) {
      if (c < channels) {
        const Sums<Q> s = term(r, static_cast<std::int64_t>(c));
#pragma unroll
        for (int q = 0; q < Q; ++q) acc[q][c] += s.v[q];
      }
    }
  }
  __shared__ double warp_sums[layout::kWarpsPerNarrowBlock][Q * MaxC];
  const int lane = thread % layout::kWarpSize, warp = thread / layout::kWarpSize;
#pragma unroll
  for (int q = 0; q < Q; ++q) {
#pragma unroll
    for (int c = 0; c < MaxC; ++c) {
      double v = acc[q][c];
      for (int offset = layout::kWarpSize / 2; offset > 0; offset /= 2)
        v += __shfl_down_sync(0xffffffffu, v, offset);
      if (lane == 0) warp_sums[warp][q * MaxC + c] = v;
    }
  }
  __syncthreads();
  for (int i = thread; i < Q * channels; i += layout::kNarrowThreads) {
    const int q = i / channels, c = i % channels;
    double total = 0;
    for (int w = 0; w < layout::kWarpsPerNarrowBlock; ++w) total += warp_sums[w][q * MaxC + c];
    partials[layout::partial_index(block, Q, q, c, channels)] = total;
  }
}

template <int Q, class Term>
__global__ void wide_channel_partials(std::int64_t rows, std::int64_t channels, Term term,
                                      double* partials) {
  __shared__ double shared[layout::kRowLanes][layout::kChannelLanes][Q];
  const int block = static_cast<int>(blockIdx.x), row_lane = static_cast<int>(threadIdx.y);
  const std::int64_t c =
      layout::wide_channel(static_cast<int>(blockIdx.y), static_cast<int>(threadIdx.x));
  Sums<Q> acc{};
  if (c < channels) {
    const std::int64_t stride = layout::wide_row_stride(static_cast<int>(gridDim.x));
    for (std::int64_t r = layout::wide_first_row(block, row_lane); r < rows; r += stride) {
      const Sums<Q> s = term(r, c);
      for (int q = 0; q < Q; ++q) acc.v[q] += s.v[q];
    }
  }
  for (int q = 0; q < Q; ++q) shared[row_lane][threadIdx.x][q] = acc.v[q];
  __syncthreads();
  if (row_lane == 0 && c < channels) {
    for (int q = 0; q < Q; ++q) {
      double total = 0;
      for (int lane = 0; lane < layout::kRowLanes; ++lane) total += shared[lane][threadIdx.x][q];
      partials[layout::partial_index(block, Q, q, c, channels)] = total;
    }
  }
}

// Pass two: one thread per (quantity, channel) adds the row blocks' partials in block order. A
// template, so that every .cu file including this header may instantiate it.
template <int Q>
__global__ void add_partials(int blocks, std::int64_t channels, const double* partials,
                             double* out) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= Q * channels) return;
  const int q = static_cast<int>(i / channels);
  const std::int64_t c = i % channels;
  double total = 0;
  for (int b = 0; b < blocks; ++b) total += partials[layout::partial_index(b, Q, q, c, channels)];
  out[i] = total;
}

// Returns a device pointer to Q * channels sums in the context's scratch, valid until the next
// use of the scratch; kernels launched after this call on the context's stream may read it (and
// overwrite it with what they derive from it).
template <int Q, class Term>
double* channel_sums(std::int64_t rows, std::int64_t channels, const Term& term) {
  Context& context = Context::get();
  const int blocks = layout::row_blocks(rows, channels);
  const std::int64_t width = Q * channels;
  double* result = static_cast<double*>(
      context.scratch(static_cast<std::size_t>((blocks + 1) * width) * sizeof(double)));
  double* partials = result + width;
  cudaStream_t stream = context.stream();
  const auto grid = static_cast<unsigned>(blocks);
  if (layout::narrow(channels)) {
    const int c = static_cast<int>(channels);
    switch (layout::narrow_register_channels(channels)) {
      case 1:
        narrow_channel_partials<Q, 1>
            <<<grid, layout::kNarrowThreads, 0, stream>>>(rows, c, term, partials);
        break;
      case 8:
        narrow_channel_partials<Q, 8>
            <<<grid, layout::kNarrowThreads, 0, stream>>>(rows, c, term, partials);
        break;
      default:
        narrow_channel_partials<Q, layout::kNarrowMaxChannels>
            <<<grid, layout::kNarrowThreads, 0, stream>>>(rows, c, term, partials);
    }
  } else {
    const dim3 wide_grid(grid, static_cast<unsigned>(layout::channel_blocks(channels)));
    wide_channel_partials<Q>
        <<<wide_grid, dim3(layout::kChannelLanes, layout::kRowLanes), 0, stream>>>(rows, channels,
                                                                                   term, partials);
  }
  UNET3D_CHECK_LAUNCH();
  add_partials<Q><<<static_cast<unsigned>((width + kBlock - 1) / kBlock), kBlock, 0, stream>>>(
      blocks, channels, partials, result);
  UNET3D_CHECK_LAUNCH();
  return result;
}

}  // namespace unet3d::gpu
