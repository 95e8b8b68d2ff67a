// Reductions: argument checks and dispatch to the backend the tensors live on.
#include "kernels/reduce.h"

#include "unet3d/build_config.h"

namespace unet3d {
namespace {

void check_reduction(const char* op, const Tensor& x, const Tensor& out) {
  UNET3D_USAGE_CHECK(x.device() == out.device(), op, ": input ", x.describe(), " and output ",
                     out.describe(), " are on different devices");
  UNET3D_USAGE_CHECK(out.numel() == 1, op, ": output ", out.describe(),
                     " must hold exactly one element");
  UNET3D_USAGE_CHECK(out.dtype() == DType::f32 || out.dtype() == DType::f64, op, ": output ",
                     out.describe(), " must be f32 or f64");
  UNET3D_USAGE_CHECK(is_floating(x.dtype()), op, ": input ", x.describe(), " is not floating");
}

}  // namespace

void sum(const Tensor& x, Tensor& out) {
  check_reduction("sum", x, out);
  if constexpr (kBuiltWithCuda)
    if (x.is_cuda()) return gpu::sum(x, out);
  cpu::sum(x, out);
}

void sum_of_squares(const Tensor& x, Tensor& out) {
  check_reduction("sum_of_squares", x, out);
  if constexpr (kBuiltWithCuda)
    if (x.is_cuda()) return gpu::sum_of_squares(x, out);
  cpu::sum_of_squares(x, out);
}

void count_nonfinite(const Tensor& x, Tensor& out) {
  check_reduction("count_nonfinite", x, out);
  if constexpr (kBuiltWithCuda)
    if (x.is_cuda()) return gpu::count_nonfinite(x, out);
  cpu::count_nonfinite(x, out);
}

}  // namespace unet3d
