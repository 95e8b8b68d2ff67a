// Resizing volumes between grids (CONTRACTS §3), as torch.nn.functional.interpolate does in
// float32: trilinear with align_corners=False for images and probabilities, nearest-exact for
// label maps. x: [N, Di, Hi, Wi, C] -> y: [N, Do, Ho, Wo, C], any sizes.
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// y := trilinear resize of x (overwritten). f16/f32 (f64 on the CPU).
void resize_trilinear(const Tensor& x, Tensor& y);
// dx := the adjoint of resize_trilinear applied to dy (overwritten; each input element gathers
// from the outputs that sampled it, so no atomics and a fixed order).
void resize_trilinear_backward(const Tensor& dy, Tensor& dx);
// y := nearest-exact resize of x (overwritten). Any dtype: labels are u8.
void resize_nearest(const Tensor& x, Tensor& y);

}  // namespace unet3d
