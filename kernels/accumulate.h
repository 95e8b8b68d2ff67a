// Bias and gradient accumulation for the layers: a per-channel bias added to an output, bias
// gradients as per-channel sums, and a lower-precision gradient added into its f32 buffer.
// Activations f16/f32 (f64 on the CPU); the accumulating buffers are compute_t of theirs: f32
// (f64 for f64).
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// y[..., c] += bias[c]; bias: [C] in y's dtype.
void add_channel_bias(Tensor& y, const Tensor& bias);
// sums[c] += sum over voxels of dy[..., c]; sums: [C], f32 (f64 for f64 dy). Deterministic.
void accumulate_channel_sums(const Tensor& dy, Tensor& sums);
// y += x elementwise; x f16/f32/f64, y f32 (f64 for f64 x), same shape.
void accumulate_into(const Tensor& x, Tensor& y);

}  // namespace unet3d
