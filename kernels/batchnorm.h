// BatchNorm3d over the channels of an NDHWC tensor, with an activation optionally fused after it
// (docs/model.md: eps 1e-5, momentum 0.1, running_var updated with the unbiased variance).
//
// x, y, dy, dx: [N, D, H, W, C], f16 or f32 (f64 on the CPU). gamma, beta, running and saved
// statistics, dgamma, dbeta: Shape::vector(C), f32 (f64 when x is f64).
#pragma once

#include "kernels/activation.h"
#include "kernels/rank_sums.h"
#include "runtime/tensor.h"

namespace unet3d {

struct BatchNormOptions {
  Activation activation = Activation::none;  // y = activate(bn(x))
  double momentum = 0.1;
  double eps = 1e-5;
  // Synchronised BatchNorm (data-parallel --sync-bn): training mode's statistics and backward's
  // sums are those of every rank's batch together; dgamma and dbeta still get this rank's own
  // share (the gradient average over the ranks completes them). Null: this batch alone.
  RankSums* ranks = nullptr;
};

// Training mode, batch statistics. Overwrites y, saved_mean and saved_inv_std (what backward
// needs); updates running_mean and running_var in place.
void batchnorm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                             Tensor& running_mean, Tensor& running_var, Tensor& saved_mean,
                             Tensor& saved_inv_std, Tensor& y, const BatchNormOptions& options);

// Evaluation mode, running statistics. Overwrites y.
void batchnorm_forward_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                            const Tensor& running_mean, const Tensor& running_var, Tensor& y,
                            const BatchNormOptions& options);

// Backward of training mode. y is the forward output (for the fused activation's gradient).
// Overwrites dx; accumulates into dgamma and dbeta.
void batchnorm_backward(const Tensor& x, const Tensor& y, const Tensor& dy, const Tensor& gamma,
                        const Tensor& saved_mean, const Tensor& saved_inv_std, Tensor& dx,
                        Tensor& dgamma, Tensor& dbeta, const BatchNormOptions& options);

}  // namespace unet3d
