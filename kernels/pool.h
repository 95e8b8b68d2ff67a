// MaxPool3d(kernel 2, stride 2) over NDHWC, as PyTorch's: odd sizes are floored (the last
// plane of an odd dimension is not pooled).
//
// x, dx: [N, D, H, W, C]; y, dy: [N, D/2, H/2, W/2, C]; f16/f32 (f64 on the CPU).
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// y := max over each 2x2x2 window of x (overwritten).
void maxpool_forward(const Tensor& x, Tensor& y);
// dx := dy routed to the first maximum of each window in (d, h, w) scan order, 0 elsewhere
// (overwritten; ties get the gradient exactly once).
void maxpool_backward(const Tensor& x, const Tensor& dy, Tensor& dx);

}  // namespace unet3d
