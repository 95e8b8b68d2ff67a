// MaxPool3d: argument checks, dispatch, and the CPU instantiations.
#include "kernels/pool.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/pool_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::maxpool_forward);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::maxpool_backward);

namespace {

// The window as the kernels take it; each side 1 or 2.
pool_impl::Window window_of(const char* op, Grid window) {
  const auto valid = [](std::int64_t side) { return side == 1 || side == 2; };
  UNET3D_USAGE_CHECK(valid(window.d) && valid(window.h) && valid(window.w), op, ": window ",
                     window.str(), " (each side 1 or 2)");
  return {static_cast<int>(window.d), static_cast<int>(window.h), static_cast<int>(window.w)};
}

void check_pool(const char* op, const Tensor& x, const Tensor& pooled, Grid window) {
  const Shape& s = x.shape();
  const Shape expected{s.n, s.d / window.d, s.h / window.h, s.w / window.w, s.c};
  UNET3D_USAGE_CHECK(
      pooled.shape() == expected && pooled.dtype() == x.dtype() && pooled.device() == x.device(),
      op, ": pooled tensor ", pooled.describe(), " does not fit input ", x.describe(),
      " (expected ", expected.str(), ")");
}

}  // namespace

void maxpool_forward(const Tensor& x, Tensor& y, Grid window) {
  const pool_impl::Window win = window_of("maxpool_forward", window);
  check_pool("maxpool_forward", x, y, window);
  UNET3D_RUN_ON_DEVICE_OF(x, backend::maxpool_forward, x, y, win);
}

void maxpool_backward(const Tensor& x, const Tensor& dy, Tensor& dx, Grid window) {
  const pool_impl::Window win = window_of("maxpool_backward", window);
  check_pool("maxpool_backward", x, dy, window);
  check_same_layout("maxpool_backward", {&x, &dx});
  UNET3D_RUN_ON_DEVICE_OF(x, backend::maxpool_backward, x, dy, dx, win);
}

}  // namespace unet3d
