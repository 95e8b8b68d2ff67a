// Elementwise kernels: argument checks and dispatch to the backend the tensors live on.
#include "kernels/elementwise.h"

#include "kernels/check.h"
#include "unet3d/build_config.h"

namespace unet3d {

void fill(Tensor& y, double value) {
  if constexpr (kBuiltWithCuda)
    if (y.is_cuda()) return gpu::fill(y, value);
  cpu::fill(y, value);
}

void fill_uniform(Tensor& y, std::uint64_t seed, float lo, float hi) {
  UNET3D_USAGE_CHECK(lo <= hi, "fill_uniform: empty range [", lo, ", ", hi, ")");
  if constexpr (kBuiltWithCuda)
    if (y.is_cuda()) return gpu::fill_uniform(y, seed, lo, hi);
  cpu::fill_uniform(y, seed, lo, hi);
}

void copy(const Tensor& x, Tensor& y) {
  check_same_layout("copy", {&x, &y});
  if constexpr (kBuiltWithCuda)
    if (y.is_cuda()) return gpu::copy(x, y);
  cpu::copy(x, y);
}

void cast(const Tensor& x, Tensor& y) {
  check_same_device_and_shape("cast", {&x, &y});
  if constexpr (kBuiltWithCuda)
    if (y.is_cuda()) return gpu::cast(x, y);
  cpu::cast(x, y);
}

void add(const Tensor& a, const Tensor& b, Tensor& out) {
  check_same_layout("add", {&a, &b, &out});
  if constexpr (kBuiltWithCuda)
    if (out.is_cuda()) return gpu::add(a, b, out);
  cpu::add(a, b, out);
}

void scale(const Tensor& x, double alpha, Tensor& y) {
  check_same_layout("scale", {&x, &y});
  if constexpr (kBuiltWithCuda)
    if (y.is_cuda()) return gpu::scale(x, alpha, y);
  cpu::scale(x, alpha, y);
}

void affine(const Tensor& x, double a, double b, Tensor& y) {
  check_same_layout("affine", {&x, &y});
  if constexpr (kBuiltWithCuda)
    if (y.is_cuda()) return gpu::affine(x, a, b, y);
  cpu::affine(x, a, b, y);
}

void relu_forward(const Tensor& x, Tensor& y) {
  check_same_layout("relu_forward", {&x, &y});
  if constexpr (kBuiltWithCuda)
    if (y.is_cuda()) return gpu::relu_forward(x, y);
  cpu::relu_forward(x, y);
}

void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  check_same_layout("relu_backward", {&y, &dy, &dx});
  if constexpr (kBuiltWithCuda)
    if (dx.is_cuda()) return gpu::relu_backward(y, dy, dx);
  cpu::relu_backward(y, dy, dx);
}

}  // namespace unet3d
