// The CPU convolutions' register tile and the vector width it is sized for (conv3d_cpu.h).
#include <algorithm>

#include "kernels/conv3d_cpu.h"
#include "kernels/cpu_clones.h"

namespace unet3d::cpu {

ConvTile conv_tile(std::int64_t cout, std::int64_t cin, int vector_bytes, int value_bytes) {
  const int lanes = std::max(1, vector_bytes / value_bytes),
            registers = vector_bytes == 64 ? 32 : 16;
  int block = 8;  // at most two registers per voxel, and no padding where a narrower block fits
  for (const int b : {32, 16})
    if (b <= 2 * lanes && cout % b == 0) {
      block = b;
      break;
    }
  // 8 f32 channels in 16 lanes: pairs of input channels fill the register.
  if (block == 8 && lanes == 16 && value_bytes == 4 && cin % 2 == 0) return {8, 12, true};
  // 12 voxels where their accumulators leave room for the weights' vectors, else 6.
  const int per_voxel = (block + lanes - 1) / lanes;
  return {block, 12 * per_voxel + 2 * per_voxel <= registers ? 12 : 6, false};
}

int conv_vector_bytes() {
#ifdef UNET3D_CPU_CLONES_BUILT
  if (__builtin_cpu_supports("x86-64-v4")) return 64;
  if (__builtin_cpu_supports("x86-64-v3")) return 32;
  return 16;
#elif defined(__AVX512F__)
  return 64;
#elif defined(__AVX2__)
  return 32;
#else
  return 16;
#endif
}

}  // namespace unet3d::cpu
