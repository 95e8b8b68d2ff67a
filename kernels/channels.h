// Channel concatenation (the U-Net's skip connections) and its backward split, over NDHWC
// tensors with equal N, D, H, W; and zero padding of the channel and batch axes (convolutions
// on channel counts cuDNN wants in multiples of 8). f16/f32 (f64 on the CPU).
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// out := [first, second] along channels (overwritten).
struct ConcatChannelsArgs {
  const Tensor &first, &second;
  Tensor& out;
};
void concat_channels(const ConcatChannelsArgs& a);

// da, db := the channel ranges of dout that came from first and second (overwritten).
struct SplitChannelsArgs {
  const Tensor& dout;
  Tensor &da, &db;
};
void split_channels(const SplitChannelsArgs& a);

// padded := x in its corner and zeros elsewhere, where padded is [N', D, H, W, C'] with N' >= N
// and C' >= C (for weights [Cout, k, k, k, Cin]: more output and input channels); overwritten.
struct PadChannelsArgs {
  const Tensor& x;
  Tensor& padded;
};
void pad_channels(const PadChannelsArgs& a);

// x := the corner of `padded` that pad_channels fills (overwritten).
struct CropChannelsArgs {
  const Tensor& padded;
  Tensor& x;
};
void crop_channels(const CropChannelsArgs& a);

}  // namespace unet3d
