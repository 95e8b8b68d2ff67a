// Per-voxel softmax bodies shared by the softmax kernels and the losses: one voxel's C
// channels at z[0..C), computed in T.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/numeric.h"

namespace unet3d::ops {

template <class S>
UNET3D_HD compute_t<S> channel_max(const S* z, std::int64_t channels) {
  compute_t<S> m = load(&z[0]);
  for (std::int64_t c = 1; c < channels; ++c) m = fmax(m, load(&z[c]));
  return m;
}

// sum_c exp(z_c - max): the softmax denominator, never below 1.
template <class S>
UNET3D_HD compute_t<S> exp_sum(const S* z, std::int64_t channels, compute_t<S> max) {
  compute_t<S> s = 0;
  for (std::int64_t c = 0; c < channels; ++c) s += exp(load(&z[c]) - max);
  return s;
}

}  // namespace unet3d::ops
