// Moving 2x2x2 blocks between channels and space, the layout half of ConvTranspose3d(k=2, s=2)
// (the other half is one GEMM). Block position (a, b, c) in (d, h, w) is channel block
// a*4 + b*2 + c, matching the kernel index order of PyTorch's [in, out, 2, 2, 2] weights.
// f16/f32 (f64 on the CPU).
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// y[n, 2d+a, 2h+b, 2w+c, o] := t[n, d, h, w, (a*4+b*2+c)*O + o] (+ bias[o]), overwritten.
// t: [N, D, H, W, 8*O]; y: [N, 2D, 2H, 2W, O]; bias: [O] in y's dtype, or null.
void depth_to_space2(const Tensor& t, const Tensor* bias, Tensor& y);
// The inverse: t[n, d, h, w, (a*4+b*2+c)*O + o] := y[n, 2d+a, 2h+b, 2w+c, o], overwritten.
void space_to_depth2(const Tensor& y, Tensor& t);

}  // namespace unet3d
