// Reductions over every element of a tensor into a one-element tensor on the same device
// (overwritten, never accumulated into), accumulated in double. Both backends combine partial
// sums in a fixed order, so a result is the same bits on every run (docs/model.md).
//
// Input f16/f32/f64 on the CPU, f16/f32 on CUDA; output f32 or f64 (Shape::scalar()).
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// out := sum_i x[i]
void sum(const Tensor& x, Tensor& out);
// out := sum_i x[i]^2
void sum_of_squares(const Tensor& x, Tensor& out);
// out := the number of elements of x that are inf or NaN (what decides a skipped step)
void count_nonfinite(const Tensor& x, Tensor& out);

}  // namespace unet3d
