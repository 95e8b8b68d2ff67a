// Reductions: argument checks, dispatch, and the CPU instantiations.
#include "kernels/reduce.h"

#include "kernels/exec_cpu.h"
#include "kernels/reduce_impl.h"

namespace unet3d {

UNET3D_REDUCE_ENTRIES(UNET3D_GPU_ELSEWHERE)

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

void sum(const SumArgs& a) {
  check_reduction("sum", a.x, a.out);
  UNET3D_RUN_ON_DEVICE_OF(a.x, sum, a);
}

void sum_of_squares(const SumOfSquaresArgs& a) {
  check_reduction("sum_of_squares", a.x, a.out);
  UNET3D_RUN_ON_DEVICE_OF(a.x, sum_of_squares, a);
}

void count_nonfinite(const CountNonfiniteArgs& a) {
  check_reduction("count_nonfinite", a.x, a.out);
  UNET3D_RUN_ON_DEVICE_OF(a.x, count_nonfinite, a);
}

}  // namespace unet3d
