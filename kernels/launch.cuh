// Launch helpers for the CUDA kernels: a grid-stride loop over 64-bit indices (any size, no
// assumption that it divides the block) with the launch-error check after every launch.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/numeric.h"
#include "runtime/cuda_context.h"

namespace unet3d::gpu {

constexpr int kBlock = 256;

template <class Body>
__global__ void for_each_index_kernel(std::int64_t n, Body body) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride)
    body(i);
}

// Runs body(i) for i in [0, n) on the context's stream.
template <class Body>
void for_each_index(std::int64_t n, Body body) {
  if (n <= 0) return;
  // Enough blocks to fill any current GPU several times over; the loop covers the rest.
  const std::int64_t blocks = std::min<std::int64_t>((n + kBlock - 1) / kBlock, 65536);
  for_each_index_kernel<<<static_cast<unsigned>(blocks), kBlock, 0, stream()>>>(n, body);
  UNET3D_CHECK_LAUNCH();
}

}  // namespace unet3d::gpu
