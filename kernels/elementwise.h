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
void fill(Tensor& y, double value);
// y[i] := uniform in [lo, hi) from the project's RNG at (seed, i): the same numbers on both
// backends (runtime/rng.h).
void fill_uniform(Tensor& y, std::uint64_t seed, float lo, float hi);
// y := x (same device; Tensor::copy_from crosses devices)
void copy(const Tensor& x, Tensor& y);
// y := x converted to y's dtype, rounding to nearest even.
void cast(const Tensor& x, Tensor& y);
// out := a + b
void add(const Tensor& a, const Tensor& b, Tensor& out);
// y := a * x + b (normalisation)
void affine(const Tensor& x, double a, double b, Tensor& y);
// y := a * clamp(x, lo, hi) + b (in place allowed): CT's normalisation.
void clip_affine(const Tensor& x, double lo, double hi, double a, double b, Tensor& y);
// y := max(x, 0) (NaN stays NaN, as in PyTorch)
void relu_forward(const Tensor& x, Tensor& y);
// dx := dy where y > 0, else 0; y is the forward output, so the forward may run in place.
void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx);

}  // namespace unet3d
