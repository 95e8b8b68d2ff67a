// GEMM on CUDA through cuBLAS: row-major C = op(A) op(B) computed as the column-major
// C^T = op(B)^T op(A)^T (kernels/gemm_layout.h), f32 accumulation (CUBLAS_COMPUTE_32F; TF32
// stays off).
#include "kernels/gemm_cublas.h"

#include <cublas_v2.h>

#include "kernels/gemm_layout.h"
#include "runtime/cuda_context.h"
#include "runtime/error.h"

namespace unet3d::gpu {
namespace {

cudaDataType cuda_type(DType t) {
  return is_f16_not_f32(t, "gemm on CUDA") ? CUDA_R_16F : CUDA_R_32F;
}

}  // namespace

void gemm(const GemmProblem& p, double alpha, GemmOperand a, GemmOperand b, double beta, void* c) {
  constexpr std::int64_t kMax = 2147483647;
  UNET3D_USAGE_CHECK(p.m <= kMax && p.n <= kMax && p.k <= kMax, "gemm on CUDA: ", p.m, "x", p.n,
                     "x", p.k, " exceeds cuBLAS's 32-bit sizes");
  const ColumnMajorGemm g = column_major_gemm(p.m, p.n, p.k, a.transposed, b.transposed);
  const float alpha_f = static_cast<float>(alpha), beta_f = static_cast<float>(beta);
  UNET3D_CUBLAS_CHECK(cublasGemmEx(
      Context::get().cublas(), g.transpose_first ? CUBLAS_OP_T : CUBLAS_OP_N,
      g.transpose_second ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(g.m), static_cast<int>(g.n),
      static_cast<int>(g.k), &alpha_f, b.data, cuda_type(p.ab), static_cast<int>(g.ld_first),
      a.data, cuda_type(p.ab), static_cast<int>(g.ld_second), &beta_f, c, cuda_type(p.c),
      static_cast<int>(g.ldc), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace unet3d::gpu
