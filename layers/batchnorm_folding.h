// BatchNorm in evaluation mode is an affine map per channel, so it folds into the convolution
// before it: with s = gamma / sqrt(running_var + eps) per output channel, W' = W s and
// b' = beta - running_mean s give conv(x, W') + b' = BatchNorm(conv(x, W)). The activation then
// rides along as the convolution's epilogue (layers/conv3d.h): one pass where there were two.
// UNet3D::fold_batchnorm folds each block once per loaded model (docs/model.md, "Inference").
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

struct FoldedConv {
  Tensor weight;  // [Cout, kd, kh, kw, Cin], like the convolution's
  Tensor bias;    // [Cout]
};

// The folded weights and bias of a bias-free convolution `weight` followed by a BatchNorm,
// computed on the host in double from the master values (any device, f32 or f64), returned in
// `compute` (the dtype the convolution runs in) on weight's device.
FoldedConv fold_batchnorm(const Tensor& weight, const Tensor& gamma, const Tensor& beta,
                          const Tensor& running_mean, const Tensor& running_var, DType compute,
                          double eps = 1e-5);

}  // namespace unet3d
