// ConvTranspose3d(2, 2) as a GEMM and a block move, the same code on both backends: the blocked
// tensor t [N, D, H, W, 8*Cout] lives in the device's workspace.
#include "layers/conv_transpose3d.h"

#include "kernels/accumulate.h"
#include "kernels/depth_space.h"
#include "kernels/gemm.h"
#include "runtime/workspace.h"

namespace unet3d {
namespace {

void check_transpose(const char* op, const Tensor& x, const Tensor& w, DType w_dtype,
                     const Tensor& y) {
  const Shape& k = w.shape();
  const Shape& s = x.shape();
  const Shape upsampled{s.n, 2 * s.d, 2 * s.h, 2 * s.w, k.c};
  UNET3D_USAGE_CHECK(k.d == 2 && k.h == 2 && k.w == 2 && k.n == s.c && y.shape() == upsampled, op,
                     ": ", x.describe(), ", weights ", w.describe(), " and ", y.describe(),
                     " do not fit ConvTranspose3d(kernel 2, stride 2)");
  UNET3D_USAGE_CHECK(x.dtype() == y.dtype() && w.dtype() == w_dtype && x.device() == y.device() &&
                         w.device() == y.device(),
                     op, ": ", x.describe(), ", ", w.describe(), " and ", y.describe(),
                     " differ in dtype or device");
}

// The blocked tensor for input x: a view of the workspace, [N, D, H, W, 8*Cout].
Tensor blocked(const Tensor& x, std::int64_t cout) {
  const Shape shape = x.shape().with_channels(8 * cout);
  const std::size_t bytes = static_cast<std::size_t>(shape.numel()) * dtype_size(x.dtype());
  return Tensor::view(workspace(x.device(), bytes), shape, x.dtype(), x.device());
}

}  // namespace

void conv_transpose3d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y) {
  check_transpose("conv_transpose3d_forward", x, w, x.dtype(), y);
  const std::int64_t voxels = x.numel() / x.shape().c, cin = x.shape().c, cout = w.shape().c;
  Tensor t = blocked(x, cout);
  gemm(x.device(), {voxels, 8 * cout, cin, x.dtype(), x.dtype()}, 1.0, {x.data(), false},
       {w.data(), false}, 0.0, t.data());
  depth_to_space2(t, &bias, y);
}

void conv_transpose3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  check_transpose("conv_transpose3d_backward_data", dx, w, dx.dtype(), dy);
  const std::int64_t voxels = dx.numel() / dx.shape().c, cin = dx.shape().c, cout = w.shape().c;
  Tensor t = blocked(dx, cout);
  space_to_depth2(dy, t);
  gemm(dx.device(), {voxels, cin, 8 * cout, dx.dtype(), dx.dtype()}, 1.0, {t.data(), false},
       {w.data(), true}, 0.0, dx.data());
}

void conv_transpose3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw, Tensor& db) {
  const DType accumulator = accumulator_dtype(x.dtype());
  check_transpose("conv_transpose3d_backward_weights", x, dw, accumulator, dy);
  const std::int64_t voxels = x.numel() / x.shape().c, cin = x.shape().c, cout = dw.shape().c;
  Tensor t = blocked(x, cout);
  space_to_depth2(dy, t);
  gemm(x.device(), {cin, 8 * cout, voxels, x.dtype(), accumulator}, 1.0, {x.data(), true},
       {t.data(), false}, 1.0, dw.data());
  accumulate_channel_sums(dy, db);
}

}  // namespace unet3d
