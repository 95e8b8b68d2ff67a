// MaxPool3d: argument checks, dispatch, and the CPU instantiations.
#include "kernels/pool.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/pool_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::maxpool_forward);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::maxpool_backward);

namespace {

void check_pool(const char* op, const Tensor& x, const Tensor& pooled) {
  const Shape& s = x.shape();
  const Shape expected{s.n, s.d / 2, s.h / 2, s.w / 2, s.c};
  UNET3D_USAGE_CHECK(
      pooled.shape() == expected && pooled.dtype() == x.dtype() && pooled.device() == x.device(),
      op, ": pooled tensor ", pooled.describe(), " does not fit input ", x.describe(),
      " (expected ", expected.str(), ")");
}

}  // namespace

void maxpool_forward(const Tensor& x, Tensor& y) {
  check_pool("maxpool_forward", x, y);
  UNET3D_RUN_ON_DEVICE_OF(x, backend::maxpool_forward, x, y);
}

void maxpool_backward(const Tensor& x, const Tensor& dy, Tensor& dx) {
  check_pool("maxpool_backward", x, dy);
  check_same_layout("maxpool_backward", {&x, &dx});
  UNET3D_RUN_ON_DEVICE_OF(x, backend::maxpool_backward, x, dy, dx);
}

}  // namespace unet3d
