// Block moves between channels and space: argument checks and dispatch.
#include "kernels/depth_space.h"

#include "kernels/check.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

void check_blocks(const char* op, const Tensor& t, const Tensor& y) {
  const Shape& b = t.shape();
  const Shape expected{b.n, 2 * b.d, 2 * b.h, 2 * b.w, b.c / 8};
  UNET3D_USAGE_CHECK(
      b.c % 8 == 0 && y.shape() == expected && t.dtype() == y.dtype() && t.device() == y.device(),
      op, ": blocked ", t.describe(), " and spatial ", y.describe(), " do not correspond");
}

}  // namespace

void depth_to_space2(const Tensor& t, const Tensor* bias, Tensor& y) {
  check_blocks("depth_to_space2", t, y);
  if (bias != nullptr)
    UNET3D_USAGE_CHECK(bias->shape() == Shape::vector(y.shape().c) && bias->dtype() == y.dtype() &&
                           bias->device() == y.device(),
                       "depth_to_space2: bias ", bias->describe(), " does not fit ", y.describe());
  if constexpr (kBuiltWithCuda)
    if (y.is_cuda()) return gpu::depth_to_space2(t, bias, y);
  cpu::depth_to_space2(t, bias, y);
}

void space_to_depth2(const Tensor& y, Tensor& t) {
  check_blocks("space_to_depth2", t, y);
  if constexpr (kBuiltWithCuda)
    if (y.is_cuda()) return gpu::space_to_depth2(y, t);
  cpu::space_to_depth2(y, t);
}

}  // namespace unet3d
