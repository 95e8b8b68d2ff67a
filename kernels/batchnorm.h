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

// Training mode, batch statistics. Overwrites y, saved_mean and saved_inv_std (what backward
// needs); updates running_mean and running_var in place.
struct BatchNormForwardTrainArgs {
  const Tensor &x, &gamma, &beta;
  Tensor &running_mean, &running_var, &saved_mean, &saved_inv_std, &y;
  Activation activation = Activation::none;  // y = activate(bn(x))
  double momentum = 0.1;
  double eps = 1e-5;
  // Synchronised BatchNorm (data-parallel --sync-bn): the statistics are those of every rank's
  // batch together. Null: this batch alone.
  RankSums* ranks = nullptr;
};
void batchnorm_forward_train(const BatchNormForwardTrainArgs& a);

// Evaluation mode, running statistics. Overwrites y.
struct BatchNormForwardEvalArgs {
  const Tensor &x, &gamma, &beta, &running_mean, &running_var;
  Tensor& y;
  Activation activation = Activation::none;
  double eps = 1e-5;
};
void batchnorm_forward_eval(const BatchNormForwardEvalArgs& a);

// Backward of training mode. y is the forward output (for the fused activation's gradient).
// Overwrites dx; accumulates into dgamma and dbeta.
struct BatchNormBackwardArgs {
  const Tensor &x, &y, &dy, &gamma, &saved_mean, &saved_inv_std;
  Tensor &dx, &dgamma, &dbeta;
  Activation activation = Activation::none;
  // With --sync-bn, dx's means are over every rank's batch; dgamma and dbeta still get this
  // rank's own share (the gradient average over the ranks completes them).
  RankSums* ranks = nullptr;
};
void batchnorm_backward(const BatchNormBackwardArgs& a);

}  // namespace unet3d
