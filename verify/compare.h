// The one comparison helper, for the tests and for bench before it times a kernel: norm-wise
// relative error ||out - ref|| / ||ref|| plus an element-wise bound |out - ref| <= atol +
// rtol * |ref|, against one tolerance table.
// NaN never passes, in the output or in the reference.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/tensor.h"

namespace unet3d {

struct Tolerance {
  double norm_rel;  // bound on ||out - ref|| / ||ref||
  double atol;      // element-wise: |out - ref| <= atol + atol_rms * rms(ref) + rtol * |ref|
  double rtol;
  double atol_rms = 0;  // for long sums, whose rounding scales with the terms, not the result
};

enum class Check {
  exact,             // same arithmetic on both sides: bit-identical values
  gradient_f64,      // central differences against an analytic gradient, in double
  gradient_network,  // the same through a whole network, where the loss's rounding limits it
  parity_f32,        // CUDA against CPU in f32, TF32 off
  parity_f16,        // CUDA against CPU in f16 storage
  reduction_f32,     // f32 sums of thousands of terms (convolutions) against an f64 reference
};

Tolerance tolerance(Check check);

struct Comparison {
  bool ok = false;
  std::int64_t count = 0;
  std::int64_t nan_count = 0;         // NaNs in the output or in the reference
  std::int64_t bound_violations = 0;  // elements outside atol + rtol * |ref|
  double norm_rel_error = 0;
  std::int64_t worst_index = -1;  // largest |out - ref| / (atol + rtol * |ref|)
  double worst_out = 0, worst_ref = 0;
  std::string describe() const;
};

Comparison compare(const std::vector<double>& out, const std::vector<double>& ref, Tolerance tol);
// Either tensor may live on either device; shapes must agree.
Comparison compare(const Tensor& out, const Tensor& ref, Tolerance tol);

// Every element as double, copied to the host first where the tensor is on the GPU.
std::vector<double> to_doubles(const Tensor& t);

// sum_i a[i] * b[i], in double: the scalar that turns an op's outputs into a loss whose
// gradient with respect to the outputs is `b`.
double dot(const Tensor& a, const Tensor& b);

}  // namespace unet3d
