// Elementwise kernels: argument checks, dispatch, and the CPU instantiations.
#include "kernels/elementwise.h"

#include "kernels/check.h"
#include "kernels/elementwise_impl.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::fill);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::fill_uniform);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::copy);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::cast);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::add);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::affine);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::clip_affine);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::relu_forward);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::relu_backward);

void fill(Tensor& y, double value) {
  UNET3D_RUN_ON_DEVICE_OF(y, backend::fill, y, value);
}

void fill_uniform(Tensor& y, std::uint64_t seed, float lo, float hi) {
  UNET3D_USAGE_CHECK(lo <= hi, "fill_uniform: empty range [", lo, ", ", hi, ")");
  UNET3D_RUN_ON_DEVICE_OF(y, backend::fill_uniform, y, seed, lo, hi);
}

void copy(const Tensor& x, Tensor& y) {
  check_same_layout("copy", {&x, &y});
  UNET3D_RUN_ON_DEVICE_OF(y, backend::copy, x, y);
}

void cast(const Tensor& x, Tensor& y) {
  check_same_device_and_shape("cast", {&x, &y});
  UNET3D_RUN_ON_DEVICE_OF(y, backend::cast, x, y);
}

void add(const Tensor& a, const Tensor& b, Tensor& out) {
  check_same_layout("add", {&a, &b, &out});
  UNET3D_RUN_ON_DEVICE_OF(out, backend::add, a, b, out);
}

void affine(const Tensor& x, double a, double b, Tensor& y) {
  check_same_layout("affine", {&x, &y});
  UNET3D_RUN_ON_DEVICE_OF(y, backend::affine, x, a, b, y);
}

void clip_affine(const Tensor& x, double lo, double hi, double a, double b, Tensor& y) {
  check_same_layout("clip_affine", {&x, &y});
  UNET3D_RUN_ON_DEVICE_OF(y, backend::clip_affine, x, lo, hi, a, b, y);
}

void relu_forward(const Tensor& x, Tensor& y) {
  check_same_layout("relu_forward", {&x, &y});
  UNET3D_RUN_ON_DEVICE_OF(y, backend::relu_forward, x, y);
}

void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  check_same_layout("relu_backward", {&y, &dy, &dx});
  UNET3D_RUN_ON_DEVICE_OF(dx, backend::relu_backward, y, dy, dx);
}

}  // namespace unet3d
