// ConvTranspose3d(kernel = stride = block, with bias), the U-Net's upsampling: each input voxel
// becomes a block of bd x bh x bw voxels (each 1 or 2: the level's pooling size), so the layer
// is one GEMM ([voxels, Cin] x [Cin, blocks * Cout]) and a block move (kernels/depth_space.h),
// on either backend (cuBLAS or OpenBLAS).
//
// x, dx: [N, D, H, W, Cin]; y, dy: [N, bd D, bh H, bw W, Cout]; w: [Cin, bd, bh, bw, Cout]
// (PyTorch's [in, out, bd, bh, bw] with the out axis moved last; the block is read off it);
// bias: [Cout]; one dtype, f16/f32 (f64 on the CPU). dw, db: f32 (f64 for f64 data),
// accumulated into.
#pragma once

#include "kernels/gemm.h"
#include "layers/conv_algorithm.h"
#include "runtime/tensor.h"

namespace unet3d {

// The GEMM of one direction over the blocked tensor t [voxels, blocks * Cout] (blocks: the
// kernel's voxels): forward t := x w; backward data dx := t w^T; backward filter
// dw += x^T t (A is x or t; B is w or t; C in `accumulator` for the filter gradient).
struct TransposeGemm {
  GemmProblem problem;
  bool a_transposed, b_transposed;
  double beta;  // 0: C overwritten; 1: accumulated into
};
TransposeGemm transpose_gemm(ConvDirection direction, std::int64_t voxels, std::int64_t cin,
                             std::int64_t cout, std::int64_t blocks, DType data, DType accumulator);

// y := convT(x, w) + bias, overwritten.
void conv_transpose3d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y);
// dx := the gradient with respect to x, overwritten.
void conv_transpose3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx);
// dw += the gradient with respect to w; db += the bias gradient.
void conv_transpose3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw, Tensor& db);

}  // namespace unet3d
