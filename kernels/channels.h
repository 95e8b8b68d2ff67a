// Channel concatenation (the U-Net's skip connections) and its backward split, over NDHWC
// tensors with equal N, D, H, W; and zero padding of the channel and batch axes (convolutions
// on channel counts cuDNN wants in multiples of 8). f16/f32 (f64 on the CPU).
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// out := [a, b] along channels, a first (overwritten).
void concat_channels(const Tensor& a, const Tensor& b, Tensor& out);
// da, db := the channel ranges of dout that came from a and b (overwritten).
void split_channels(const Tensor& dout, Tensor& da, Tensor& db);
// padded := x in its corner and zeros elsewhere, where padded is [N', D, H, W, C'] with N' >= N
// and C' >= C (for weights [Cout, k, k, k, Cin]: more output and input channels); overwritten.
void pad_channels(const Tensor& x, Tensor& padded);
// x := the corner of `padded` that pad_channels fills (overwritten).
void crop_channels(const Tensor& padded, Tensor& x);

}  // namespace unet3d
