// How a row-major GEMM (kernels/gemm.h) is handed to a column-major library: row-major C (M x N)
// = op(A) op(B) is, read column-major, C^T (N x M) = op(B)^T op(A)^T, so cuBLAS is called with
// B first, A second, m and n swapped, and each operand's own leading dimension. Plain C++, so
// the CPU tests run the description through a column-major reference GEMM.
#pragma once

#include <cstdint>

namespace unet3d {

// The leading dimension of a row-major operand that is rows x cols after op(): its stored row
// length (cols, or rows when stored transposed).
inline std::int64_t row_major_leading(std::int64_t rows, std::int64_t cols, bool transposed) {
  return transposed ? rows : cols;
}

// cublasGemmEx's arguments for row-major C = op(A) op(B) with op(A) M x K, op(B) K x N.
struct ColumnMajorGemm {
  bool transpose_first, transpose_second;  // transa, transb: of B, then of A
  std::int64_t m, n, k;                    // N, M, K
  std::int64_t ld_first, ld_second, ldc;   // B's, A's, C's (N)
};

inline ColumnMajorGemm column_major_gemm(std::int64_t m, std::int64_t n, std::int64_t k,
                                         bool a_transposed, bool b_transposed) {
  return {b_transposed,
          a_transposed,
          n,
          m,
          k,
          row_major_leading(k, n, b_transposed),
          row_major_leading(m, k, a_transposed),
          n};
}

}  // namespace unet3d
