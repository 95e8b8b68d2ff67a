// The numbers cuDNN's descriptors of one convolution are built from, as plain functions the CPU
// tests check by hand: the activations' dims and channels-last strides, the filter's dims in
// cuDNN's KCDHW order (laid out channels-last), and the padding, stride and dilation per axis.
// layers/conv3d_cudnn.cpp passes them to cudnnSetTensorNdDescriptor, cudnnSetFilterNdDescriptor
// (CUDNN_TENSOR_NHWC) and cudnnSetConvolutionNdDescriptor unchanged.
#pragma once

#include <array>

#include "layers/conv_algorithm.h"
#include "runtime/shape.h"

namespace unet3d {

// An NDHWC tensor [N, D, H, W, C] as cuDNN's 5-D descriptor has it: dims in N, C, D, H, W
// order, and the strides of the channels-last storage in the same order.
struct CudnnTensorArrays {
  std::array<int, 5> dims, strides;
  bool operator==(const CudnnTensorArrays&) const = default;
};
CudnnTensorArrays channels_last_tensor(const Shape& s);

// Weights [Cout, kD, kH, kW, Cin] (channels-last) as cuDNN's filter descriptor has them with
// format CUDNN_TENSOR_NHWC: dims in K, C, D, H, W order.
std::array<int, 5> channels_last_filter(const Shape& w);

// cudnnSetConvolutionNdDescriptor's arrays, in D, H, W order: the padding that keeps the size
// ((k - 1) / 2 per axis, for odd kernels), unit strides and dilations.
struct CudnnConvArrays {
  std::array<int, 3> pads, strides, dilations;
  bool operator==(const CudnnConvArrays&) const = default;
};
CudnnConvArrays same_size_convolution(const Shape& w);

// Everything one convolution's descriptors hold, at its planned channel counts (the padded
// ones where planned_channels pads): input x, output y, filter w, convolution.
struct CudnnConvDescriptors {
  CudnnTensorArrays x, y;
  std::array<int, 5> w;
  CudnnConvArrays conv;
};
CudnnConvDescriptors conv_descriptors(const Shape& x, const Shape& w, ConvChannels channels);

}  // namespace unet3d
