// Resizing volumes between grids (docs/data.md), as torch.nn.functional.interpolate does in
// float32: trilinear with align_corners=False for images and probabilities, nearest-exact for
// label maps. x: [N, Di, Hi, Wi, C] -> y: [N, Do, Ho, Wo, C], any sizes.
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// y := trilinear resize of x (overwritten). f16/f32 (f64 on the CPU).
void resize_trilinear(const Tensor& x, Tensor& y);
// y := nearest-exact resize of x (overwritten). Any dtype: labels are u8.
void resize_nearest(const Tensor& x, Tensor& y);

}  // namespace unet3d
