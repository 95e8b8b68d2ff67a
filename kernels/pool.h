// MaxPool3d(kernel = stride = window) over NDHWC, as PyTorch's, the window per axis 1 or 2 (the
// configurable network's pooling sizes, docs/model.md; 2,2,2 by default): sizes that the window
// does not divide are floored (the last plane of an odd dimension is not pooled).
//
// x, dx: [N, D, H, W, C]; y, dy: [N, D/wd, H/wh, W/ww, C]; f16/f32 (f64 on the CPU). window:
// (d, h, w).
#pragma once

#include "runtime/shape.h"
#include "runtime/tensor.h"

namespace unet3d {

// y := max over each window of x (overwritten).
struct MaxpoolForwardArgs {
  const Tensor& x;
  Tensor& y;
  Grid window = Grid::cube(2);
};
void maxpool_forward(const MaxpoolForwardArgs& a);

// dx := dy routed to the first maximum of each window in (d, h, w) scan order, 0 elsewhere
// (overwritten; ties get the gradient exactly once).
struct MaxpoolBackwardArgs {
  const Tensor &x, &dy;
  Tensor& dx;
  Grid window = Grid::cube(2);
};
void maxpool_backward(const MaxpoolBackwardArgs& a);

}  // namespace unet3d
