// The SGD update: argument checks, dispatch, and the CPU instantiations.
#include "kernels/sgd.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/sgd_impl.h"
#include "kernels/step_control.h"

namespace unet3d {

UNET3D_SGD_ENTRIES(UNET3D_GPU_ELSEWHERE)

void sgd_update(const SgdUpdateArgs& a) {
  check_same_layout("sgd_update", {&a.values, &a.grads, &a.buffer});
  UNET3D_USAGE_CHECK(a.values.dtype() == DType::f32 || a.values.dtype() == DType::f64,
                     "sgd_update: master values ", a.values.describe(), " must be f32 or f64");
  if (a.half != nullptr) {
    check_same_device_and_shape("sgd_update", {&a.values, a.half});
    UNET3D_USAGE_CHECK(a.half->dtype() == DType::f16, "sgd_update: copies ", a.half->describe(),
                       " must be f16");
  }
  check_step_coefficients("sgd_update", a.coefficients, a.values);
  UNET3D_RUN_ON_DEVICE_OF(a.values, sgd_update, a);
}

}  // namespace unet3d
