// The Adam update: argument checks, dispatch, and the CPU instantiations.
#include "kernels/adam.h"

#include "kernels/adam_impl.h"
#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/step_control.h"

namespace unet3d {

UNET3D_ADAM_ENTRIES(UNET3D_GPU_ELSEWHERE)

void adam_update(const AdamUpdateArgs& a) {
  check_same_layout("adam_update", {&a.values, &a.grads, &a.exp_avg, &a.exp_avg_sq});
  UNET3D_USAGE_CHECK(a.values.dtype() == DType::f32 || a.values.dtype() == DType::f64,
                     "adam_update: master values ", a.values.describe(), " must be f32 or f64");
  check_step_coefficients("adam_update", a.coefficients, a.values);
  if (a.half != nullptr) {
    check_same_device_and_shape("adam_update", {&a.values, a.half});
    UNET3D_USAGE_CHECK(a.half->dtype() == DType::f16, "adam_update: copies ", a.half->describe(),
                       " must be f16");
  }
  UNET3D_RUN_ON_DEVICE_OF(a.values, adam_update, a);
}

}  // namespace unet3d
