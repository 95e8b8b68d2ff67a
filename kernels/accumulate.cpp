// Bias and gradient accumulation: argument checks and dispatch.
#include "kernels/accumulate.h"

#include "kernels/check.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

DType accumulator_dtype(DType t) {
  return t == DType::f64 ? DType::f64 : DType::f32;
}

void check_vector(const char* op, const Tensor& t, const Tensor& v, DType dtype) {
  UNET3D_USAGE_CHECK(
      v.shape() == Shape::vector(t.shape().c) && v.dtype() == dtype && v.device() == t.device(), op,
      ": ", v.describe(), " does not fit ", t.describe(), " (expected ", dtype_name(dtype), " ",
      Shape::vector(t.shape().c).str(), ")");
}

}  // namespace

void add_channel_bias(Tensor& y, const Tensor& bias) {
  check_vector("add_channel_bias", y, bias, y.dtype());
  if constexpr (kBuiltWithCuda)
    if (y.is_cuda()) return gpu::add_channel_bias(y, bias);
  cpu::add_channel_bias(y, bias);
}

void accumulate_channel_sums(const Tensor& dy, Tensor& sums) {
  check_vector("accumulate_channel_sums", dy, sums, accumulator_dtype(dy.dtype()));
  if constexpr (kBuiltWithCuda)
    if (dy.is_cuda()) return gpu::accumulate_channel_sums(dy, sums);
  cpu::accumulate_channel_sums(dy, sums);
}

void accumulate_into(const Tensor& x, Tensor& y) {
  check_same_device_and_shape("accumulate_into", {&x, &y});
  UNET3D_USAGE_CHECK(y.dtype() == accumulator_dtype(x.dtype()), "accumulate_into: ", y.describe(),
                     " cannot accumulate ", x.describe());
  if constexpr (kBuiltWithCuda)
    if (y.is_cuda()) return gpu::accumulate_into(x, y);
  cpu::accumulate_into(x, y);
}

}  // namespace unet3d
