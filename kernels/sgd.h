// The update of torch.optim.SGD(momentum, nesterov=True, dampening=0) over flat parameter storage
// (docs/model.md), in one pass like Adam's: unscale the gradient, add weight decay, update the
// momentum buffer and the master value, write the f16 copy, zero the gradient.
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

struct SgdStep {
  double lr = 1e-2, momentum = 0.99, weight_decay = 0;
  bool first = true;      // the first step sets the buffer to the gradient, as torch does
  double grad_scale = 1;  // gradients are multiplied by this first (1 / loss scale)
};

// d = g + weight_decay * p; buffer = first ? d : momentum * buffer + d; p -= lr * (d + momentum *
// buffer). values, grads, buffer: one shape, f32 (f64 on the CPU); grads are overwritten with 0.
// half: the f16 copies (overwritten), or null.
void sgd_update(Tensor& values, Tensor& grads, Tensor& buffer, Tensor* half, const SgdStep& step);

}  // namespace unet3d
