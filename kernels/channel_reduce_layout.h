// How the CUDA per-channel sums (channel_reduce.cuh) divide their work: the block counts, which
// rows each thread walks, where each block's partial sums go, and the order in which lanes,
// warps, row lanes and blocks are combined. Plain C++ (host and device), so that
// channel_reduce_emulation.h replays the very same decomposition on the CPU and the CPU tests
// check it; the CUDA kernels take every index from here.
#pragma once

#include <algorithm>
#include <cstdint>

#include "runtime/hd.h"

namespace unet3d::channel_reduce {

// Few channels (C <= kNarrowMaxChannels: the losses, the metrics): blocks of kNarrowThreads
// threads, each thread walking rows and summing all C channels of each in registers; the lanes
// of a warp are combined by shuffles (kWarpSize lanes, offsets 16, 8, 4, 2, 1), then the block's
// warps in order.
inline constexpr int kNarrowMaxChannels = 32;
inline constexpr int kNarrowThreads = 256;
inline constexpr int kNarrowMaxBlocks = 1024;
inline constexpr int kRowsPerNarrowThread = 4;
inline constexpr int kWarpSize = 32;
inline constexpr int kWarpsPerNarrowBlock = kNarrowThreads / kWarpSize;

// Many channels (BatchNorm's): blocks of kChannelLanes channel lanes x kRowLanes row lanes that
// stride over the rows, the row lanes combined in order through shared memory.
inline constexpr int kChannelLanes = 32;
inline constexpr int kRowLanes = 8;
inline constexpr int kRowsPerRowLane = 16;
inline constexpr int kMaxRowBlocks = 256;

UNET3D_HD inline bool narrow(std::int64_t channels) {
  return channels <= kNarrowMaxChannels;
}

// The compile-time bound on the channels a narrow thread keeps in registers: 1, 8 or 32.
UNET3D_HD inline int narrow_register_channels(std::int64_t channels) {
  return channels == 1 ? 1 : channels <= 8 ? 8 : kNarrowMaxChannels;
}

// The number of partial blocks (along the rows) for `rows` rows of `channels` channels: a
// function of the shape alone, so the combining order never depends on the card.
inline int row_blocks(std::int64_t rows, std::int64_t channels) {
  if (narrow(channels)) {
    constexpr std::int64_t per_block = std::int64_t{kNarrowThreads} * kRowsPerNarrowThread;
    return static_cast<int>(
        std::clamp<std::int64_t>((rows + per_block - 1) / per_block, 1, kNarrowMaxBlocks));
  }
  constexpr std::int64_t per_block = std::int64_t{kRowLanes} * kRowsPerRowLane;
  return static_cast<int>(
      std::clamp<std::int64_t>((rows + per_block - 1) / per_block, 1, kMaxRowBlocks));
}

// Wide layout: blocks along the channels (the grid's second dimension).
inline int channel_blocks(std::int64_t channels) {
  return narrow(channels) ? 1 : static_cast<int>((channels + kChannelLanes - 1) / kChannelLanes);
}

// Narrow layout: thread `thread` of block `block` sums rows first, first + stride, ...
UNET3D_HD inline std::int64_t narrow_first_row(int block, int thread) {
  return static_cast<std::int64_t>(block) * kNarrowThreads + thread;
}
UNET3D_HD inline std::int64_t narrow_row_stride(int blocks) {
  return static_cast<std::int64_t>(blocks) * kNarrowThreads;
}

// Wide layout: channel lane `lane` of channel block `channel_block` sums channel
// wide_channel(...); row lane `row_lane` of row block `block` walks rows first, first + stride, ...
UNET3D_HD inline std::int64_t wide_channel(int channel_block, int lane) {
  return static_cast<std::int64_t>(channel_block) * kChannelLanes + lane;
}
UNET3D_HD inline std::int64_t wide_first_row(int block, int row_lane) {
  return static_cast<std::int64_t>(block) * kRowLanes + row_lane;
}
UNET3D_HD inline std::int64_t wide_row_stride(int blocks) {
  return static_cast<std::int64_t>(blocks) * kRowLanes;
}

// Where row block `block` writes its partial sum of quantity q, channel c: pass two adds
// partial_index(0, q, c), partial_index(1, q, c), ... in block order.
UNET3D_HD inline std::int64_t partial_index(int block, int quantities, int q, std::int64_t c,
                                            std::int64_t channels) {
  return (static_cast<std::int64_t>(block) * quantities + q) * channels + c;
}

}  // namespace unet3d::channel_reduce
