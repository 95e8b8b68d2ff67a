// Softmax over the channels of each voxel of an NDHWC tensor. f16/f32 (f64 on the CPU),
// computed in f32 (f64), max-subtracted so logits of any size stay finite.
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// p := softmax(z) over channels (overwritten); p may be z itself (each voxel's channels are
// read before they are written).
struct SoftmaxForwardArgs {
  const Tensor& z;
  Tensor& p;
};
void softmax_forward(const SoftmaxForwardArgs& a);

}  // namespace unet3d
