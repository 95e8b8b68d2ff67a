// Conv3d with stride 1 and "same" padding (k-1)/2 per axis, the kernel 1 or 3 along each axis
// (3x3x3 in the U-Net's blocks, 1x3x3 and the like in an anisotropic network's, 1x1x1 in its
// heads). CUDA: cuDNN's legacy API, NDHWC, f16 with f32 accumulation on tensor cores or f32
// without TF32, algorithms found by timing once per shape. CPU: 1x1x1 one OpenBLAS GEMM, any
// other kernel direct over its own taps on a padded copy of the input, vectorised over output
// channels.
//
// x, dx: [N, D, H, W, Cin]; y, dy: [N, D, H, W, Cout]; w: [Cout, kd, kh, kw, Cin] (PyTorch's
// [out, in, kd, kh, kw] with the in axis moved last), all one dtype: f16/f32 (f64 on the CPU).
// bias: [Cout] in that dtype, or null. dw, db: f32 (f64 for f64 data), accumulated into.
#pragma once

#include <string>

#include "kernels/activation.h"
#include "runtime/tensor.h"

namespace unet3d {

// y := activation(conv(x, w) (+ bias)), overwritten; the activation needs a bias (it is there
// for a BatchNorm folded into the convolution, layers/batchnorm_folding.h). On the CPU bias and
// activation are applied as each output is written, on CUDA in one pass after cuDNN.
void conv3d_forward(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y,
                    Activation activation = Activation::none);
// dx := the gradient with respect to x, overwritten.
void conv3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx);
// dw += the gradient with respect to w; db += the bias gradient, unless db is null.
void conv3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw, Tensor* db);

// What choosing cuDNN's algorithms has cost this process so far (shapes, directions, Find
// calls, seconds), for the tools' logs; empty where no convolution has run on CUDA.
std::string conv_planning_report();

}  // namespace unet3d
