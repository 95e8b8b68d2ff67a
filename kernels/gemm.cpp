// GEMM: dispatch to the backend, and the CPU one through OpenBLAS.
#include "kernels/gemm.h"

#include <cblas.h>

#include <limits>

#include "kernels/gemm_cublas.h"
#include "kernels/gemm_layout.h"
#include "runtime/error.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

void cpu_gemm(const GemmProblem& p, double alpha, GemmOperand a, GemmOperand b, double beta,
              void* c) {
  UNET3D_USAGE_CHECK(p.ab == p.c && (p.c == DType::f32 || p.c == DType::f64),
                     "gemm on the CPU: A/B ", dtype_name(p.ab), " with C ", dtype_name(p.c),
                     " (needs f32 or f64 throughout)");
  constexpr std::int64_t kMax = std::numeric_limits<blasint>::max();
  UNET3D_USAGE_CHECK(p.m <= kMax && p.n <= kMax && p.k <= kMax, "gemm on the CPU: ", p.m, "x", p.n,
                     "x", p.k, " exceeds OpenBLAS's index range");
  const auto m = static_cast<blasint>(p.m), n = static_cast<blasint>(p.n),
             k = static_cast<blasint>(p.k);
  const CBLAS_TRANSPOSE ta = a.transposed ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = b.transposed ? CblasTrans : CblasNoTrans;
  const auto lda = static_cast<blasint>(row_major_leading(p.m, p.k, a.transposed)),
             ldb = static_cast<blasint>(row_major_leading(p.k, p.n, b.transposed));
  if (p.c == DType::f32)
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, static_cast<float>(alpha),
                static_cast<const float*>(a.data), lda, static_cast<const float*>(b.data), ldb,
                static_cast<float>(beta), static_cast<float*>(c), n);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, static_cast<const double*>(a.data), lda,
                static_cast<const double*>(b.data), ldb, beta, static_cast<double*>(c), n);
}

}  // namespace

void gemm(Device device, const GemmProblem& p, double alpha, GemmOperand a, GemmOperand b,
          double beta, void* c) {
  if (p.m == 0 || p.n == 0) return;
  if constexpr (kBuiltWithCuda)
    if (device == Device::cuda) return gpu::gemm(p, alpha, a, b, beta, c);
  cpu_gemm(p, alpha, a, b, beta, c);
}

}  // namespace unet3d
