// Resizing: argument checks, dispatch, and the CPU instantiations.
#include "kernels/resize.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/resize_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::resize_trilinear);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::resize_nearest);

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
  UNET3D_RUN_ON_DEVICE_OF(x, backend::resize_trilinear, x, y);
}

void resize_nearest(const Tensor& x, Tensor& y) {
  check_resize("resize_nearest", x, y);
  UNET3D_RUN_ON_DEVICE_OF(x, backend::resize_nearest, x, y);
}

}  // namespace unet3d
