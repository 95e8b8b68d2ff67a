// MaxPool3d: argument checks, dispatch, and the CPU instantiations.
#include "kernels/pool.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/pool_impl.h"

namespace unet3d {

UNET3D_POOL_ENTRIES(UNET3D_GPU_ELSEWHERE)

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

void maxpool_forward(const MaxpoolForwardArgs& a) {
  const pool_impl::Window win = window_of("maxpool_forward", a.window);
  check_pool("maxpool_forward", a.x, a.y, a.window);
  UNET3D_RUN_FLOAT(a.x, maxpool_forward, a, win);
}

void maxpool_backward(const MaxpoolBackwardArgs& a) {
  const pool_impl::Window win = window_of("maxpool_backward", a.window);
  check_pool("maxpool_backward", a.x, a.dy, a.window);
  check_same_layout("maxpool_backward", {&a.x, &a.dx});
  UNET3D_RUN_FLOAT(a.x, maxpool_backward, a, win);
}

}  // namespace unet3d
