// The step's bookkeeping: argument checks, dispatch, and the CPU instantiations.
#include "kernels/step_control.h"

#include "kernels/exec_cpu.h"
#include "kernels/step_control_impl.h"

namespace unet3d {

UNET3D_STEP_CONTROL_ENTRIES(UNET3D_GPU_ELSEWHERE)

namespace {

void check_vector(const char* op, const Tensor& t, std::int64_t n, const Tensor& first) {
  UNET3D_USAGE_CHECK(t.dtype() == DType::f64 && t.numel() == n && t.device() == first.device(), op,
                     ": ", t.describe(), " must be ", n, " f64 values on the ",
                     device_name(first.device()));
}

}  // namespace

void check_step_coefficients(const char* op, const Tensor& coefficients, const Tensor& values) {
  check_vector(op, coefficients, kStepCoefficients, values);
}

void begin_step(const BeginStepArgs& a) {
  check_vector("begin_step", a.counters, kOptimizerCounters, a.counters);
  check_vector("begin_step", a.scaler, kScalerValues, a.counters);
  check_vector("begin_step", a.coefficients, kStepCoefficients, a.counters);
  UNET3D_RUN_ON_DEVICE_OF(a.counters, begin_step, a);
}

void end_step(const EndStepArgs& a) {
  check_vector("end_step", a.counters, kOptimizerCounters, a.counters);
  check_vector("end_step", a.scaler, kScalerValues, a.counters);
  UNET3D_RUN_ON_DEVICE_OF(a.counters, end_step, a);
}

}  // namespace unet3d
