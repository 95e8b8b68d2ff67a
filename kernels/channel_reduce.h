// Per-channel sums over the rows of a channels-last tensor (a row is one voxel of one volume):
// out[q * channels + c] = sum over rows r of term(r, c).v[q], for Q quantities at once,
// accumulated in double and combined in a fixed order on both backends (deterministic).
//
// A Term is a struct with `UNET3D_HD Sums<Q> operator()(std::int64_t row, std::int64_t c) const`,
// written once and run by channel_reduce_cpu.h's loop and channel_reduce.cuh's kernels alike.
#pragma once

#include <cstdint>

#include "runtime/hd.h"

namespace unet3d {

template <int Q>
struct Sums {
  double v[Q];
};

}  // namespace unet3d
