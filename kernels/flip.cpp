// Flips: argument checks, dispatch, and the random choice of axes.
#include "kernels/flip.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/flip_impl.h"

namespace unet3d {

UNET3D_FLIP_ENTRIES(UNET3D_GPU_ELSEWHERE)

void flip(const FlipArgs& a) {
  check_same_layout("flip", {&a.x, &a.y});
  UNET3D_USAGE_CHECK(a.x.data() != a.y.data(), "flip: output ", a.y.describe(),
                     " aliases its input");
  UNET3D_USAGE_CHECK(a.axes <= (kFlipD | kFlipH | kFlipW), "flip: axes mask ", a.axes,
                     " names no axis of D, H, W");
  UNET3D_RUN_ON_DEVICE_OF(a.x, flip, a);
}

unsigned random_flip_axes(Rng& rng, unsigned allowed) {
  unsigned axes = 0;
  for (unsigned axis : {kFlipD, kFlipH, kFlipW})
    if ((allowed & axis) && rng.below(2) == 1) axes |= axis;
  return axes;
}

}  // namespace unet3d
