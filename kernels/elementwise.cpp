// Elementwise kernels: argument checks, dispatch, and the CPU instantiations.
#include "kernels/elementwise.h"

#include "kernels/check.h"
#include "kernels/elementwise_impl.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_ELEMENTWISE_ENTRIES(UNET3D_GPU_ELSEWHERE)

void fill(const FillArgs& a) {
  UNET3D_RUN_ON_DEVICE_OF(a.y, fill, a);
}

void fill_uniform(const FillUniformArgs& a) {
  UNET3D_USAGE_CHECK(a.lo <= a.hi, "fill_uniform: empty range [", a.lo, ", ", a.hi, ")");
  UNET3D_RUN_FLOAT(a.y, fill_uniform, a);
}

void copy(const CopyArgs& a) {
  check_same_layout("copy", {&a.x, &a.y});
  UNET3D_RUN_ON_DEVICE_OF(a.y, copy, a);
}

void cast(const CastArgs& a) {
  check_same_device_and_shape("cast", {&a.x, &a.y});
  UNET3D_RUN_ON_DEVICE_OF(a.y, cast, a);
}

void add(const AddArgs& a) {
  check_same_layout("add", {&a.lhs, &a.rhs, &a.out});
  UNET3D_RUN_FLOAT(a.out, add, a);
}

void affine(const AffineArgs& a) {
  check_same_layout("affine", {&a.x, &a.y});
  UNET3D_RUN_FLOAT(a.y, affine, a);
}

void clip_affine(const ClipAffineArgs& a) {
  check_same_layout("clip_affine", {&a.x, &a.y});
  UNET3D_RUN_FLOAT(a.y, clip_affine, a);
}

void relu_forward(const ReluForwardArgs& a) {
  check_same_layout("relu_forward", {&a.x, &a.y});
  UNET3D_RUN_FLOAT(a.y, relu_forward, a);
}

void relu_backward(const ReluBackwardArgs& a) {
  check_same_layout("relu_backward", {&a.y, &a.dy, &a.dx});
  UNET3D_RUN_FLOAT(a.dx, relu_backward, a);
}

}  // namespace unet3d
