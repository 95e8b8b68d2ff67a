// Reductions over every element of a tensor into a one-element tensor on the same device
// (overwritten, never accumulated into), accumulated in double. Both backends combine partial
// sums in a fixed order, so a result is the same bits on every run (docs/model.md).
//
// Input f16/f32/f64 on the CPU, f16/f32 on CUDA; output f32 or f64 (Shape::scalar()).
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// out := sum_i x[i]
struct SumArgs {
  const Tensor& x;
  Tensor& out;
};
void sum(const SumArgs& a);

// out := sum_i x[i]^2
struct SumOfSquaresArgs {
  const Tensor& x;
  Tensor& out;
};
void sum_of_squares(const SumOfSquaresArgs& a);

// out := the number of elements of x that are inf or NaN (what decides a skipped step)
struct CountNonfiniteArgs {
  const Tensor& x;
  Tensor& out;
};
void count_nonfinite(const CountNonfiniteArgs& a);

}  // namespace unet3d
