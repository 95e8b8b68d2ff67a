// Conv3d and ConvTranspose3d written out from PyTorch's definitions, in double, for the tests to
// hold the fast paths against: any kernel of 1 or 3 per axis (padding (k - 1) / 2 per axis), any
// transposed block of 1 or 2 per axis.
#pragma once

#include <vector>

#include "kernels/conv3d_cpu.h"
#include "runtime/tensor.h"

namespace unet3d::testing {

// Conv3d (cross-correlation, stride 1): x [N, D, H, W, Cin], w [Cout, kd, kh, kw, Cin], bias [Cout]
// or null; the output in NDHWC order.
std::vector<double> direct_conv(const Tensor& x, const Tensor& w, const Tensor* bias);

// Its two gradients for output gradient dy: for every output voxel, tap and channel pair, dx and
// dw each take the product they owe it.
void direct_conv_gradients(const Tensor& x, const Tensor& w, const Tensor& dy,
                           std::vector<double>& dx, std::vector<double>& dw);

// ConvTranspose3d(kernel = stride = block): x [N, D, H, W, Cin], w [Cin, bd, bh, bw, Cout]; each
// input voxel scatters a block.
std::vector<double> direct_transpose(const Tensor& x, const Tensor& w, const Tensor& bias);

// Every register tile the CPU convolution has: pairs of f32 input channels (8 x 12), and blocks
// of 8, 16 and 32 output channels by 6 or 12 voxels.
std::vector<cpu::ConvTile> every_conv_tile();

}  // namespace unet3d::testing
