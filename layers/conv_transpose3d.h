// ConvTranspose3d(kernel 2, stride 2, with bias), the U-Net's upsampling: each input voxel
// becomes a 2x2x2 block, so the layer is one GEMM ([voxels, Cin] x [Cin, 8*Cout]) and a block
// move (kernels/depth_space.h), on either backend (cuBLAS or OpenBLAS).
//
// x, dx: [N, D, H, W, Cin]; y, dy: [N, 2D, 2H, 2W, Cout]; w: [Cin, 2, 2, 2, Cout] (PyTorch's
// [in, out, 2, 2, 2] with the out axis moved last); bias: [Cout]; one dtype, f16/f32 (f64 on
// the CPU). dw, db: f32 (f64 for f64 data), accumulated into.
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// y := convT(x, w) + bias, overwritten.
void conv_transpose3d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y);
// dx := the gradient with respect to x, overwritten.
void conv_transpose3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx);
// dw += the gradient with respect to w; db += the bias gradient.
void conv_transpose3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw, Tensor& db);

}  // namespace unet3d
