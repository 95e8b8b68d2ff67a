// What each whole-tensor reduction adds per element, shared by the CPU and CUDA reductions.
#pragma once

#include "runtime/hd.h"

namespace unet3d {

enum class ReduceTerm { value, square, nonfinite };

template <ReduceTerm K>
UNET3D_HD double reduce_term(double v) {
  if constexpr (K == ReduceTerm::value) return v;
  if constexpr (K == ReduceTerm::square) return v * v;
  // v - v is 0 for every finite v, NaN for inf and NaN (no fast-math anywhere in this build).
  return v - v == 0 ? 0.0 : 1.0;
}

}  // namespace unet3d
