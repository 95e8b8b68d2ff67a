// Block moves between channels and space: argument checks, dispatch, and the CPU instantiations.
#include "kernels/depth_space.h"

#include "kernels/check.h"
#include "kernels/depth_space_impl.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::depth_to_space2);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::space_to_depth2);

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
  if (bias != nullptr) check_channel_vector("depth_to_space2", y, *bias, y.dtype());
  UNET3D_RUN_ON_DEVICE_OF(y, backend::depth_to_space2, t, bias, y);
}

void space_to_depth2(const Tensor& y, Tensor& t) {
  check_blocks("space_to_depth2", t, y);
  UNET3D_RUN_ON_DEVICE_OF(y, backend::space_to_depth2, y, t);
}

}  // namespace unet3d
