// Conv3d on zero-padded channel counts (layers/conv_algorithm.h's planned_channels decides
// them): the operands are copied into tensors with more input and output channels, the
// convolution proper runs on those, and its result is cropped back. The padding holds zeros,
// so it adds nothing to any output: the result is the unpadded convolution's. Written against
// any backend's convolution, so the CPU tests check it against the unpadded one; on the GPU each
// cuDNN plan owns its PaddedConv3d.
#pragma once

#include <functional>

#include "layers/conv_algorithm.h"
#include "runtime/tensor.h"

namespace unet3d {

// The convolution proper, as conv3d.h's backend entry points: (x, w) -> y overwritten,
// (dy, w) -> dx overwritten, (x, dy) -> dw accumulated into.
using ConvCall = std::function<void(const Tensor&, const Tensor&, Tensor&)>;

class PaddedConv3d {
 public:
  // For input x ([N, D, H, W, Cin]) and weights w ([Cout, k, k, k, Cin]) in `dtype`; allocates
  // on `device` only the operands whose channel count changes.
  PaddedConv3d(const Shape& x, const Shape& w, DType dtype, Device device, ConvChannels channels);

  ConvChannels channels() const { return channels_; }
  // Whether anything is padded at all (else callers run the convolution as it is).
  bool pads() const;

  void forward(const Tensor& x, const Tensor& w, Tensor& y, const ConvCall& conv);
  void backward_data(const Tensor& dy, const Tensor& w, Tensor& dx, const ConvCall& conv);
  void backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw, const ConvCall& conv);

 private:
  // `t` padded into `buffer` where that is allocated (its channels change), else t itself.
  static const Tensor& padded(const Tensor& t, Tensor& buffer);

  ConvChannels channels_;
  Tensor x_, w_, y_;                   // the padded activations (input and output side) and weights
  Tensor weight_grad_, cropped_grad_;  // the padded weight gradient, and its corner
};

}  // namespace unet3d
