// Moving blocks between channels and space, the layout half of ConvTranspose3d(kernel = stride =
// block) (the other half is one GEMM). The block is at most 2 voxels per axis (the network's
// pooling sizes; 2x2x2 by default). Block position (a, b, c) in (d, h, w) is channel block
// (a * bh + b) * bw + c, matching the kernel index order of PyTorch's [in, out, bd, bh, bw]
// weights. f16/f32 (f64 on the CPU).
#pragma once

#include "runtime/shape.h"
#include "runtime/tensor.h"

namespace unet3d {

// y[n, bd d + a, bh h + b, bw w + c, o] := t[n, d, h, w, ((a bh + b) bw + c) O + o]
// (+ bias[o]), overwritten. t: [N, D, H, W, blocks * O]; y: [N, bd D, bh H, bw W, O]; bias: [O]
// in y's dtype, or null. block: (bd, bh, bw).
struct DepthToSpaceArgs {
  const Tensor& t;
  const Tensor* bias;
  Tensor& y;
  Grid block = Grid::cube(2);
};
void depth_to_space(const DepthToSpaceArgs& a);

// The inverse: t[n, d, h, w, ((a bh + b) bw + c) O + o] := y[n, bd d + a, bh h + b, bw w + c, o],
// overwritten.
struct SpaceToDepthArgs {
  const Tensor& y;
  Tensor& t;
  Grid block = Grid::cube(2);
};
void space_to_depth(const SpaceToDepthArgs& a);

}  // namespace unet3d
