// The SGD update: argument checks, dispatch, and the CPU instantiations.
#include "kernels/sgd.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/sgd_impl.h"
#include "kernels/step_control.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::sgd_update);

void sgd_update(Tensor& values, Tensor& grads, Tensor& buffer, Tensor* half,
                const SgdOptions& options, const Tensor& coefficients) {
  check_same_layout("sgd_update", {&values, &grads, &buffer});
  UNET3D_USAGE_CHECK(values.dtype() == DType::f32 || values.dtype() == DType::f64,
                     "sgd_update: master values ", values.describe(), " must be f32 or f64");
  if (half != nullptr) {
    check_same_device_and_shape("sgd_update", {&values, half});
    UNET3D_USAGE_CHECK(half->dtype() == DType::f16, "sgd_update: copies ", half->describe(),
                       " must be f16");
  }
  check_step_coefficients("sgd_update", coefficients, values);
  UNET3D_RUN_ON_DEVICE_OF(values, backend::sgd_update, values, grads, buffer, half, options,
                          coefficients);
}

}  // namespace unet3d
