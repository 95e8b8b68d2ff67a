// Conv3d's arithmetic on the CPU (layers/conv3d.h checks the arguments and adds the bias): k = 1
// as one GEMM, k = 3 as a register-tiled direct convolution. Shapes and dtypes as conv3d.h
// states them; f32 and f64.
#pragma once

#include "runtime/tensor.h"

namespace unet3d::cpu {

// y := conv(x, w), overwritten.
void conv3d_forward(const Tensor& x, const Tensor& w, Tensor& y);
// dx := the gradient with respect to x, overwritten.
void conv3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx);
// dw += the gradient with respect to w.
void conv3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw);

}  // namespace unet3d::cpu
