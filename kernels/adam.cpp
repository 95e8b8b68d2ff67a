// The Adam update: argument checks, dispatch, and the CPU instantiations.
#include "kernels/adam.h"

#include "kernels/adam_impl.h"
#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/step_control.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::adam_update);

void adam_update(Tensor& values, Tensor& grads, Tensor& exp_avg, Tensor& exp_avg_sq, Tensor* half,
                 const AdamOptions& options, const Tensor& coefficients) {
  check_same_layout("adam_update", {&values, &grads, &exp_avg, &exp_avg_sq});
  UNET3D_USAGE_CHECK(values.dtype() == DType::f32 || values.dtype() == DType::f64,
                     "adam_update: master values ", values.describe(), " must be f32 or f64");
  check_step_coefficients("adam_update", coefficients, values);
  if (half != nullptr) {
    check_same_device_and_shape("adam_update", {&values, half});
    UNET3D_USAGE_CHECK(half->dtype() == DType::f16, "adam_update: copies ", half->describe(),
                       " must be f16");
  }
  UNET3D_RUN_ON_DEVICE_OF(values, backend::adam_update, values, grads, exp_avg, exp_avg_sq, half,
                          options, coefficients);
}

}  // namespace unet3d
