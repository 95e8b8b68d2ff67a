// The update of torch.optim.SGD(momentum, nesterov=True, dampening=0) over flat parameter storage
// (docs/model.md), in one pass like Adam's: unscale the gradient, add weight decay, update the
// momentum buffer and the master value, write the f16 copy, zero the gradient.
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

struct SgdOptions {
  double lr = 1e-2, momentum = 0.99, weight_decay = 0;
};

// d = g / scale + weight_decay * p; buffer = first ? d : momentum * buffer + d (the first step
// sets the buffer to the gradient, as torch does); p -= lr * (d + momentum * buffer). values,
// grads, buffer: one shape, f32 (f64 on the CPU); grads are overwritten with 0. half: the f16
// copies (overwritten), or null. coefficients: begin_step's (kernels/step_control.h: skip, first
// step, 1 / scale), [kStepCoefficients] f64 on the same device; a skipped step only zeroes grads.
struct SgdUpdateArgs {
  Tensor &values, &grads, &buffer;
  Tensor* half;
  SgdOptions options;
  const Tensor& coefficients;
};
void sgd_update(const SgdUpdateArgs& a);

}  // namespace unet3d
