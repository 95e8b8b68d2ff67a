// MaxPool3d: argument checks and dispatch to the backend the tensors live on.
#include "kernels/pool.h"

#include "kernels/check.h"
#include "unet3d/build_config.h"

namespace unet3d {
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
  if constexpr (kBuiltWithCuda)
    if (x.is_cuda()) return gpu::maxpool_forward(x, y);
  cpu::maxpool_forward(x, y);
}

void maxpool_backward(const Tensor& x, const Tensor& dy, Tensor& dx) {
  check_pool("maxpool_backward", x, dy);
  check_same_layout("maxpool_backward", {&x, &dx});
  if constexpr (kBuiltWithCuda)
    if (x.is_cuda()) return gpu::maxpool_backward(x, dy, dx);
  cpu::maxpool_backward(x, dy, dx);
}

}  // namespace unet3d
