// Reductions: argument checks, dispatch, and the CPU instantiations.
#include "kernels/reduce.h"

#include "kernels/exec_cpu.h"
#include "kernels/reduce_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::sum);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::sum_of_squares);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::count_nonfinite);

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
  UNET3D_RUN_ON_DEVICE_OF(x, backend::sum, x, out);
}

void sum_of_squares(const Tensor& x, Tensor& out) {
  check_reduction("sum_of_squares", x, out);
  UNET3D_RUN_ON_DEVICE_OF(x, backend::sum_of_squares, x, out);
}

void count_nonfinite(const Tensor& x, Tensor& out) {
  check_reduction("count_nonfinite", x, out);
  UNET3D_RUN_ON_DEVICE_OF(x, backend::count_nonfinite, x, out);
}

}  // namespace unet3d
