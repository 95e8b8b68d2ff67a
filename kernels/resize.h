// Resizing volumes between grids (docs/data.md), as torch.nn.functional.interpolate does in
// float32: trilinear with align_corners=False for images and probabilities, nearest-exact for
// label maps. x: [N, Di, Hi, Wi, C] -> y: [N, Do, Ho, Wo, C], any sizes.
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// y := trilinear resize of x (overwritten). f16/f32 (f64 on the CPU).
struct ResizeTrilinearArgs {
  const Tensor& x;
  Tensor& y;
};
void resize_trilinear(const ResizeTrilinearArgs& a);

// y := nearest-exact resize of x (overwritten). Any dtype: labels are u8.
struct ResizeNearestArgs {
  const Tensor& x;
  Tensor& y;
};
void resize_nearest(const ResizeNearestArgs& a);

// labels ([N, Do, Ho, Wo, 1] u8) := the argmax over the channels (the lowest wins ties) of the
// trilinear resize of x ([N, Di, Hi, Wi, C] f16, f32 or f64), the same labels as resize_trilinear
// followed by argmax_channels, without the resized tensor.
struct ResizeTrilinearArgmaxArgs {
  const Tensor& x;
  Tensor& labels;
};
void resize_trilinear_argmax(const ResizeTrilinearArgmaxArgs& a);

}  // namespace unet3d
