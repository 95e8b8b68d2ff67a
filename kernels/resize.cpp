// Resizing: argument checks and dispatch.
#include "kernels/resize.h"

#include "kernels/check.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

void check_resize(const char* op, const Tensor& from, const Tensor& to) {
  UNET3D_USAGE_CHECK(from.shape().n == to.shape().n && from.shape().c == to.shape().c &&
                         from.dtype() == to.dtype() && from.device() == to.device() &&
                         from.numel() > 0 && to.numel() > 0,
                     op, ": cannot resize ", from.describe(), " into ", to.describe(),
                     " (batch, channels, dtype and device must agree; no empty grid)");
}

}  // namespace

void resize_trilinear(const Tensor& x, Tensor& y) {
  check_resize("resize_trilinear", x, y);
  if constexpr (kBuiltWithCuda)
    if (x.is_cuda()) return gpu::resize_trilinear(x, y);
  cpu::resize_trilinear(x, y);
}

void resize_trilinear_backward(const Tensor& dy, Tensor& dx) {
  check_resize("resize_trilinear_backward", dy, dx);
  if constexpr (kBuiltWithCuda)
    if (dy.is_cuda()) return gpu::resize_trilinear_backward(dy, dx);
  cpu::resize_trilinear_backward(dy, dx);
}

void resize_nearest(const Tensor& x, Tensor& y) {
  check_resize("resize_nearest", x, y);
  if constexpr (kBuiltWithCuda)
    if (x.is_cuda()) return gpu::resize_nearest(x, y);
  cpu::resize_nearest(x, y);
}

}  // namespace unet3d
