// Matrix products for the layers built on GEMM (ConvTranspose3d, the CPU convolutions):
// C := alpha * op(A) op(B) + beta * C in row-major storage, op(A) M x K, op(B) K x N, C M x N.
// CPU: OpenBLAS, f32 or f64 throughout. CUDA: cuBLAS with f32 accumulation (no TF32); A and B
// f16 or f32, C f16 or f32 (f16 A/B into an f32 C is how weight gradients stay in f32).
#pragma once

#include <cstdint>

#include "runtime/device.h"
#include "runtime/dtype.h"

namespace unet3d {

struct GemmOperand {
  const void* data;
  bool transposed;
};

struct GemmProblem {
  std::int64_t m, n, k;
  DType ab;  // dtype of A and B
  DType c;   // dtype of C
};

void gemm(Device device, const GemmProblem& p, double alpha, GemmOperand a, GemmOperand b,
          double beta, void* c);

}  // namespace unet3d
