// Channel concatenation (the U-Net's skip connections) and its backward split, over NDHWC
// tensors with equal N, D, H, W. f16/f32 (f64 on the CPU).
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// out := [a, b] along channels, a first (overwritten).
void concat_channels(const Tensor& a, const Tensor& b, Tensor& out);
// da, db := the channel ranges of dout that came from a and b (overwritten).
void split_channels(const Tensor& dout, Tensor& da, Tensor& db);

namespace cpu {
void concat_channels(const Tensor& a, const Tensor& b, Tensor& out);
void split_channels(const Tensor& dout, Tensor& da, Tensor& db);
}  // namespace cpu
namespace gpu {
void concat_channels(const Tensor& a, const Tensor& b, Tensor& out);
void split_channels(const Tensor& dout, Tensor& da, Tensor& db);
}  // namespace gpu

}  // namespace unet3d
