// Conv3d's arithmetic on the CPU (layers/conv3d.h checks the arguments and adds the bias): a
// 1x1x1 kernel as one GEMM, every other (each axis 1 or 3) as a register-tiled direct
// convolution over its own taps (a 1x3x3 kernel costs 9 taps, not 27). Shapes and dtypes as
// conv3d.h states them; f32 and f64.
#pragma once

#include <cstdint>

#include "kernels/activation.h"
#include "runtime/tensor.h"

namespace unet3d::cpu {

// What the forward adds to each output as it writes it: a per-channel bias ([Cout] in y's dtype;
// null: none), then an activation (which needs the bias): a BatchNorm folded into the convolution
// (layers/batchnorm_folding.h) costs no pass of its own.
struct ConvEpilogue {
  const Tensor* bias = nullptr;
  Activation activation = Activation::none;
};

// y := conv(x, w) and the epilogue, overwritten.
void conv3d_forward(const Tensor& x, const Tensor& w, Tensor& y, const ConvEpilogue& e = {});
// dx := the gradient with respect to x, overwritten.
void conv3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx);
// dw += the gradient with respect to w.
void conv3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw);

// The register tile of the direct convolutions: `block` output channels (8, 16 or 32) by `voxels`
// consecutive outputs (6 or 12), sized to the vector registers of the instruction set the
// kernels run with (`vector_bytes` 16, 32 or 64: SSE2, AVX2, AVX-512) for values of
// `value_bytes`; `paired`: a register holds 8 f32 output channels of two input channels.
struct ConvTile {
  int block;
  int voxels;
  bool paired;
};
ConvTile conv_tile(std::int64_t cout, std::int64_t cin, int vector_bytes, int value_bytes);
// The vector width of the kernels' instruction set on this CPU.
int conv_vector_bytes();
// conv3d_forward (a kernel other than 1x1x1) with a given tile: every tile computes the same
// convolution on any CPU; tests run them all.
void conv3d_forward_tiled(const Tensor& x, const Tensor& w, Tensor& y, ConvTile tile,
                          const ConvEpilogue& e = {});

}  // namespace unet3d::cpu
