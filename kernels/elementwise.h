// Elementwise kernels, on the device their tensors live on. All tensors of one call share a
// device and a shape; every output listed is overwritten, none is accumulated into. Outputs may
// alias inputs of the same dtype.
//
// dtypes: f16 and f32 on both backends (f16 computed in f32), f64 on the CPU (and in fill and
// copy on CUDA, for f64 results); u8 in fill and copy only.
#pragma once

#include <cstdint>

#include "runtime/tensor.h"

namespace unet3d {

// y := value
struct FillArgs {
  Tensor& y;
  double value;
};
void fill(const FillArgs& a);

// y[i] := uniform in [lo, hi) from the project's RNG at (seed, i): the same numbers on both
// backends (runtime/rng.h).
struct FillUniformArgs {
  Tensor& y;
  std::uint64_t seed;
  float lo;
  float hi;
};
void fill_uniform(const FillUniformArgs& a);

// y := x (same device; Tensor::copy_from crosses devices)
struct CopyArgs {
  const Tensor& x;
  Tensor& y;
};
void copy(const CopyArgs& a);

// y := x converted to y's dtype, rounding to nearest even.
struct CastArgs {
  const Tensor& x;
  Tensor& y;
};
void cast(const CastArgs& a);

// out := lhs + rhs
struct AddArgs {
  const Tensor &lhs, &rhs;
  Tensor& out;
};
void add(const AddArgs& a);

// y := scale * x + offset (normalisation)
struct AffineArgs {
  const Tensor& x;
  double scale;
  double offset;
  Tensor& y;
};
void affine(const AffineArgs& a);

// y := scale * clamp(x, lo, hi) + offset (in place allowed): CT's normalisation.
struct ClipAffineArgs {
  const Tensor& x;
  double lo;
  double hi;
  double scale;
  double offset;
  Tensor& y;
};
void clip_affine(const ClipAffineArgs& a);

// y := max(x, 0) (NaN stays NaN, as in PyTorch)
struct ReluForwardArgs {
  const Tensor& x;
  Tensor& y;
};
void relu_forward(const ReluForwardArgs& a);

// dx := dy where y > 0, else 0; y is the forward output, so the forward may run in place.
struct ReluBackwardArgs {
  const Tensor &y, &dy;
  Tensor& dx;
};
void relu_backward(const ReluBackwardArgs& a);

}  // namespace unet3d
