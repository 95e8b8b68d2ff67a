// Launch helpers for the CUDA kernels: a grid-stride loop over 64-bit indices (any size, no
// assumption that it divides the block) with the launch-error check after every launch.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/numeric.h"
#include "runtime/cuda_context.h"

namespace unet3d::gpu {

constexpr int kBlock = 256;

// Blocks for n threads' work: enough to fill any current GPU several times over; the kernels'
// grid-stride loops cover the rest.
inline unsigned blocks_for(std::int64_t n) {
  return static_cast<unsigned>(std::min<std::int64_t>((n + kBlock - 1) / kBlock, 65536));
}

template <class Body>
__global__ void for_each_index_kernel(std::int64_t n, Body body) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride)
    body(i);
}

// body(r, j, j + 1) for element j of run r, over `runs` runs of `length` elements: one element
// per thread, so that neighbouring threads touch neighbouring elements.
template <class Body>
__global__ void for_each_run_kernel(std::int64_t runs, std::int64_t length, Body body) {
  const std::int64_t n = runs * length;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const std::int64_t j = i % length;
    body(i / length, j, j + 1);
  }
}

// Runs body(i) for i in [0, n) on the context's stream.
template <class Body>
void for_each_index(std::int64_t n, Body body) {
  if (n <= 0) return;
  for_each_index_kernel<<<blocks_for(n), kBlock, 0, stream()>>>(n, body);
  UNET3D_CHECK_LAUNCH();
}

}  // namespace unet3d::gpu
