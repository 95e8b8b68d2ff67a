// Flips: argument checks, dispatch, and the random choice of axes.
#include "kernels/flip.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/flip_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::flip);

void flip(const Tensor& x, Tensor& y, unsigned axes) {
  check_same_layout("flip", {&x, &y});
  UNET3D_USAGE_CHECK(x.data() != y.data(), "flip: output ", y.describe(), " aliases its input");
  UNET3D_USAGE_CHECK(axes <= (kFlipD | kFlipH | kFlipW), "flip: axes mask ", axes,
                     " names no axis of D, H, W");
  UNET3D_RUN_ON_DEVICE_OF(x, backend::flip, x, y, axes);
}

unsigned random_flip_axes(Rng& rng, unsigned allowed) {
  unsigned axes = 0;
  for (unsigned axis : {kFlipD, kFlipH, kFlipW})
    if ((allowed & axis) && rng.below(2) == 1) axes |= axis;
  return axes;
}

}  // namespace unet3d
