// Bias and gradient accumulation for the layers: a per-channel bias added to an output, bias
// gradients as per-channel sums, and a lower-precision gradient added into its f32 buffer.
// Activations f16/f32 (f64 on the CPU); the accumulating buffers are compute_t of theirs: f32
// (f64 for f64).
#pragma once

#include "kernels/activation.h"
#include "runtime/tensor.h"

namespace unet3d {

// y[..., c] := activation(y[..., c] + bias[c]); bias: [C] in y's dtype. The activation is there
// for a convolution into which a BatchNorm was folded (layers/batchnorm_folding.h).
struct AddChannelBiasArgs {
  Tensor& y;
  const Tensor& bias;
  Activation activation = Activation::none;
};
void add_channel_bias(const AddChannelBiasArgs& a);

// sums[c] += sum over voxels of dy[..., c]; sums: [C], f32 (f64 for f64 dy). Deterministic.
struct AccumulateChannelSumsArgs {
  const Tensor& dy;
  Tensor& sums;
};
void accumulate_channel_sums(const AccumulateChannelSumsArgs& a);

// y += x elementwise; x f16/f32/f64, y f32 (f64 for f64 x), same shape.
struct AccumulateIntoArgs {
  const Tensor& x;
  Tensor& y;
};
void accumulate_into(const AccumulateIntoArgs& a);

}  // namespace unet3d
