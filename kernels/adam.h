// The Adam update of torch.optim.Adam (docs/model.md) over flat parameter storage, in one pass:
// unscale the gradient, add weight decay, update both moments and the master value, write the
// f16 copy, and zero the gradient for the next accumulation. The step's number and loss scale,
// and whether it is skipped, are read on the device (kernels/step_control.h).
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// torch.optim.Adam's hyper-parameters and defaults; decoupled: AdamW's weight decay (p *= 1 - lr
// wd before the step) instead of Adam's (wd p added to the gradient).
struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled_weight_decay = false;
};

// values, grads, exp_avg, exp_avg_sq: one shape, f32 (f64 on the CPU); all but grads are
// updated in place, grads are overwritten with 0. half: the f16 copies (overwritten), or null.
// coefficients: begin_step's ([kStepCoefficients] f64, same device): where they say the step is
// skipped, only the gradients are zeroed. options.lr is already in the coefficients' step size.
struct AdamUpdateArgs {
  Tensor &values, &grads, &exp_avg, &exp_avg_sq;
  Tensor* half;
  AdamOptions options;
  const Tensor& coefficients;
};
void adam_update(const AdamUpdateArgs& a);

}  // namespace unet3d
