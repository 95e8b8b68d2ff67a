// InstanceNorm3d (affine, without running statistics) over the channels of an NDHWC tensor, with
// an activation optionally fused after it (docs/model.md): per sample and channel, the mean and
// the biased variance over that sample's voxels, eps 1e-5, the same in training and evaluation.
// Each sample is normalised as BatchNorm normalises a batch of one (kernels/batchnorm_impl.h's
// statistics, normalisation and backward, run per sample).
//
// x, y, dy, dx: [N, D, H, W, C], f16 or f32 (f64 on the CPU). gamma, beta, dgamma, dbeta:
// Shape::vector(C); saved_mean, saved_inv_std: Shape::vector(N * C), sample-major; all f32 (f64
// when x is f64).
#pragma once

#include "kernels/activation.h"
#include "runtime/tensor.h"

namespace unet3d {

// Overwrites y, saved_mean and saved_inv_std (what backward needs).
struct InstanceNormForwardArgs {
  const Tensor &x, &gamma, &beta;
  Tensor &saved_mean, &saved_inv_std, &y;
  Activation activation = Activation::none;  // y = activate(in(x))
  double eps = 1e-5;
};
void instancenorm_forward(const InstanceNormForwardArgs& a);

// y is the forward output (for the fused activation's gradient). Overwrites dx; accumulates into
// dgamma and dbeta (the samples' sums added in sample order).
struct InstanceNormBackwardArgs {
  const Tensor &x, &y, &dy, &gamma, &saved_mean, &saved_inv_std;
  Tensor &dx, &dgamma, &dbeta;
  Activation activation = Activation::none;
};
void instancenorm_backward(const InstanceNormBackwardArgs& a);

}  // namespace unet3d
