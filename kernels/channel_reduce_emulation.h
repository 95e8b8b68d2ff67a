// The CUDA per-channel sums (channel_reduce.cuh) replayed one thread at a time on the CPU: the
// same row blocks, threads, warp shuffles (with __shfl_down_sync's rule that a lane reading past
// the warp gets its own value), row lanes and block order, from channel_reduce_layout.h. The
// CPU tests check this decomposition against the CPU sums; the GPU tests check the card's sums
// against it.
#pragma once

#include <array>
#include <vector>

#include "kernels/channel_reduce.h"
#include "kernels/channel_reduce_layout.h"

namespace unet3d::channel_reduce {

// One warp's shuffle-down tree: the value lane 0 ends with.
inline double warp_sum(std::array<double, kWarpSize> lanes) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    const std::array<double, kWarpSize> before = lanes;
    for (int lane = 0; lane < kWarpSize; ++lane)
      lanes[lane] += lane + offset < kWarpSize ? before[lane + offset] : before[lane];
  }
  return lanes[0];
}

// Pass one of the narrow layout for one block: its Q * channels partials.
template <int Q, class Term>
void emulate_narrow_block(int block, int blocks, std::int64_t rows, std::int64_t channels,
                          const Term& term, std::vector<double>& partials) {
  // acc[thread][q * channels + c], as each thread's registers hold them.
  std::vector<double> acc(static_cast<std::size_t>(kNarrowThreads * Q * channels), 0.0);
  for (int thread = 0; thread < kNarrowThreads; ++thread) {
    double* mine = acc.data() + static_cast<std::int64_t>(thread) * Q * channels;
    for (std::int64_t r = narrow_first_row(block, thread); r < rows; r += narrow_row_stride(blocks))
      for (std::int64_t c = 0; c < channels; ++c) {
        const Sums<Q> s = term(r, c);
        for (int q = 0; q < Q; ++q) mine[q * channels + c] += s.v[q];
      }
  }
  for (int i = 0; i < Q * channels; ++i) {
    double total = 0;
    for (int warp = 0; warp < kWarpsPerNarrowBlock; ++warp) {
      std::array<double, kWarpSize> lanes{};
      for (int lane = 0; lane < kWarpSize; ++lane)
        lanes[static_cast<std::size_t>(lane)] =
            acc[static_cast<std::size_t>((warp * kWarpSize + lane) * Q * channels + i)];
      total += warp_sum(lanes);
    }
    const int q = static_cast<int>(i / channels);
    partials[static_cast<std::size_t>(partial_index(block, Q, q, i % channels, channels))] = total;
  }
}

// Pass one of the wide layout for one (row block, channel block).
template <int Q, class Term>
void emulate_wide_block(int block, int channel_block, int blocks, std::int64_t rows,
                        std::int64_t channels, const Term& term, std::vector<double>& partials) {
  for (int lane = 0; lane < kChannelLanes; ++lane) {
    const std::int64_t c = wide_channel(channel_block, lane);
    if (c >= channels) continue;
    std::array<Sums<Q>, kRowLanes> row_lanes{};
    for (int row_lane = 0; row_lane < kRowLanes; ++row_lane)
      for (std::int64_t r = wide_first_row(block, row_lane); r < rows;
           r += wide_row_stride(blocks)) {
        const Sums<Q> s = term(r, c);
        for (int q = 0; q < Q; ++q) row_lanes[static_cast<std::size_t>(row_lane)].v[q] += s.v[q];
      }
    for (int q = 0; q < Q; ++q) {
      double total = 0;
      for (int row_lane = 0; row_lane < kRowLanes; ++row_lane)
        total += row_lanes[static_cast<std::size_t>(row_lane)].v[q];
      partials[static_cast<std::size_t>(partial_index(block, Q, q, c, channels))] = total;
    }
  }
}

// out[q * channels + c] as gpu::channel_sums<Q> computes it, in its order.
template <int Q, class Term>
std::vector<double> emulated_channel_sums(std::int64_t rows, std::int64_t channels,
                                          const Term& term) {
  const int blocks = row_blocks(rows, channels);
  std::vector<double> partials(static_cast<std::size_t>(blocks * Q * channels), 0.0);
  for (int block = 0; block < blocks; ++block) {
    if (narrow(channels))
      emulate_narrow_block<Q>(block, blocks, rows, channels, term, partials);
    else
      for (int channel_block = 0; channel_block < channel_blocks(channels); ++channel_block)
        emulate_wide_block<Q>(block, channel_block, blocks, rows, channels, term, partials);
  }
  std::vector<double> out(static_cast<std::size_t>(Q * channels), 0.0);
  for (int q = 0; q < Q; ++q)
    for (std::int64_t c = 0; c < channels; ++c)
      for (int block = 0; block < blocks; ++block)
        out[static_cast<std::size_t>(q * channels + c)] +=
            partials[static_cast<std::size_t>(partial_index(block, Q, q, c, channels))];
  return out;
}

}  // namespace unet3d::channel_reduce
