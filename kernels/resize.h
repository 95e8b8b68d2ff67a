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
// labels ([N, Do, Ho, Wo, 1] u8) := the argmax over the channels (the lowest wins ties) of the
// trilinear resize of x ([N, Di, Hi, Wi, C] f32 or f64), the same labels as resize_trilinear
// followed by argmax_channels, without the resized tensor.
void resize_trilinear_argmax(const Tensor& x, Tensor& labels);

}  // namespace unet3d
