// Resizing: argument checks, dispatch, and the CPU instantiations.
#include "kernels/resize.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/resize_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::resize_trilinear);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::resize_nearest);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::resize_trilinear_argmax);

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

void resize_trilinear_argmax(const Tensor& x, Tensor& labels) {
  UNET3D_USAGE_CHECK(
      (x.dtype() == DType::f32 || x.dtype() == DType::f64) && labels.dtype() == DType::u8 &&
          labels.shape().c == 1 && x.shape().n == labels.shape().n &&
          x.device() == labels.device() && x.numel() > 0 && labels.numel() > 0 &&
          x.shape().c <= 256,
      "resize_trilinear_argmax: ", x.describe(), " into ", labels.describe(),
      " (f32 or f64 probabilities of at most 256 classes into u8 labels of one channel)");
  UNET3D_RUN_ON_DEVICE_OF(x, backend::resize_trilinear_argmax, x, labels);
}

}  // namespace unet3d
