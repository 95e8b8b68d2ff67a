// ConvTranspose3d(kernel = stride = block) as a GEMM and a block move, the same code on both
// backends: the blocked tensor t [N, D, H, W, blocks * Cout] lives in the device's workspace.
#include "layers/conv_transpose3d.h"

#include "kernels/accumulate.h"
#include "kernels/depth_space.h"
#include "kernels/gemm.h"
#include "runtime/error.h"
#include "runtime/workspace.h"

namespace unet3d {
namespace {

// The block (kernel and stride) of weights [Cin, bd, bh, bw, Cout], checked against x and y.
Grid check_transpose(const char* op, const Tensor& x, const Tensor& w, DType w_dtype,
                     const Tensor& y) {
  const Shape& k = w.shape();
  const Shape& s = x.shape();
  const Shape upsampled{s.n, k.d * s.d, k.h * s.h, k.w * s.w, k.c};
  const auto valid = [](std::int64_t side) { return side == 1 || side == 2; };
  UNET3D_USAGE_CHECK(valid(k.d) && valid(k.h) && valid(k.w) && k.n == s.c && y.shape() == upsampled,
                     op, ": ", x.describe(), ", weights ", w.describe(), " and ", y.describe(),
                     " do not fit ConvTranspose3d(kernel = stride = 1 or 2 per axis)");
  UNET3D_USAGE_CHECK(x.dtype() == y.dtype() && w.dtype() == w_dtype && x.device() == y.device() &&
                         w.device() == y.device(),
                     op, ": ", x.describe(), ", ", w.describe(), " and ", y.describe(),
                     " differ in dtype or device");
  return {k.d, k.h, k.w};
}

// The blocked tensor for input x: a view of the workspace, [N, D, H, W, blocks * Cout].
Tensor blocked(const Tensor& x, std::int64_t cout, Grid block) {
  const Shape shape = x.shape().with_channels(block.voxels() * cout);
  const std::size_t bytes = static_cast<std::size_t>(shape.numel()) * dtype_size(x.dtype());
  return Tensor::view(workspace(x.device(), bytes), shape, x.dtype(), x.device());
}

// C := alpha op(A) op(B) + beta C as transpose_gemm describes it.
void run_gemm(Device device, const TransposeGemm& g, const void* a, const void* b, void* c) {
  gemm(device, g.problem, 1.0, {a, g.a_transposed}, {b, g.b_transposed}, g.beta, c);
}

}  // namespace

TransposeGemm transpose_gemm(ConvDirection direction, std::int64_t voxels, std::int64_t cin,
                             std::int64_t cout, std::int64_t blocks, DType data,
                             DType accumulator) {
  const std::int64_t blocked = blocks * cout;
  switch (direction) {
    case ConvDirection::forward: return {{voxels, blocked, cin, data, data}, false, false, 0.0};
    case ConvDirection::backward_data:
      return {{voxels, cin, blocked, data, data}, false, true, 0.0};
    case ConvDirection::backward_filter:
      return {{cin, blocked, voxels, data, accumulator}, true, false, 1.0};
  }
  throw Error(ErrorKind::usage, "transpose_gemm: unknown direction");
}

void conv_transpose3d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y) {
  const Grid block = check_transpose("conv_transpose3d_forward", x, w, x.dtype(), y);
  const std::int64_t voxels = x.numel() / x.shape().c, cin = x.shape().c, cout = w.shape().c;
  Tensor t = blocked(x, cout, block);
  run_gemm(x.device(),
           transpose_gemm(ConvDirection::forward, voxels, cin, cout, block.voxels(), x.dtype(),
                          x.dtype()),
           x.data(), w.data(), t.data());
  depth_to_space({t, &bias, y, block});
}

void conv_transpose3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  const Grid block = check_transpose("conv_transpose3d_backward_data", dx, w, dx.dtype(), dy);
  const std::int64_t voxels = dx.numel() / dx.shape().c, cin = dx.shape().c, cout = w.shape().c;
  Tensor t = blocked(dx, cout, block);
  space_to_depth({dy, t, block});
  run_gemm(dx.device(),
           transpose_gemm(ConvDirection::backward_data, voxels, cin, cout, block.voxels(),
                          dx.dtype(), dx.dtype()),
           t.data(), w.data(), dx.data());
}

void conv_transpose3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw, Tensor& db) {
  const DType accumulator = accumulator_dtype(x.dtype());
  const Grid block = check_transpose("conv_transpose3d_backward_weights", x, dw, accumulator, dy);
  const std::int64_t voxels = x.numel() / x.shape().c, cin = x.shape().c, cout = dw.shape().c;
  Tensor t = blocked(x, cout, block);
  space_to_depth({dy, t, block});
  run_gemm(x.device(),
           transpose_gemm(ConvDirection::backward_filter, voxels, cin, cout, block.voxels(),
                          x.dtype(), accumulator),
           x.data(), t.data(), dw.data());
  accumulate_channel_sums({dy, db});
}

}  // namespace unet3d
