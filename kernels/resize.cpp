// Resizing: argument checks, dispatch, and the CPU instantiations.
#include "kernels/resize.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/resize_impl.h"

namespace unet3d {

UNET3D_RESIZE_ENTRIES(UNET3D_GPU_ELSEWHERE)

namespace {

void check_resize(const char* op, const Tensor& from, const Tensor& to) {
  UNET3D_USAGE_CHECK(from.shape().n == to.shape().n && from.shape().c == to.shape().c &&
                         from.dtype() == to.dtype() && from.device() == to.device() &&
                         from.numel() > 0 && to.numel() > 0,
                     op, ": cannot resize ", from.describe(), " into ", to.describe(),
                     " (batch, channels, dtype and device must agree; no empty grid)");
}

}  // namespace

void resize_trilinear(const ResizeTrilinearArgs& a) {
  check_resize("resize_trilinear", a.x, a.y);
  UNET3D_RUN_FLOAT(a.x, resize_trilinear, a);
}

void resize_nearest(const ResizeNearestArgs& a) {
  check_resize("resize_nearest", a.x, a.y);
  UNET3D_RUN_ON_DEVICE_OF(a.x, resize_nearest, a);
}

void resize_trilinear_argmax(const ResizeTrilinearArgmaxArgs& a) {
  UNET3D_USAGE_CHECK(
      (a.x.dtype() == DType::f16 || a.x.dtype() == DType::f32 || a.x.dtype() == DType::f64) &&
          a.labels.dtype() == DType::u8 && a.labels.shape().c == 1 &&
          a.x.shape().n == a.labels.shape().n && a.x.device() == a.labels.device() &&
          a.x.numel() > 0 && a.labels.numel() > 0 && a.x.shape().c <= 256,
      "resize_trilinear_argmax: ", a.x.describe(), " into ", a.labels.describe(),
      " (f16, f32 or f64 probabilities of at most 256 classes into u8 labels of one channel)");
  UNET3D_RUN_ON_DEVICE_OF(a.x, resize_trilinear_argmax, a);
}

}  // namespace unet3d
