// The step's bookkeeping: argument checks, dispatch, and the CPU instantiations.
#include "kernels/step_control.h"

#include "kernels/exec_cpu.h"
#include "kernels/step_control_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::begin_step);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::end_step);

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

void begin_step(const Tensor& counters, const Tensor& scaler, const StepRule& rule,
                Tensor& coefficients) {
  check_vector("begin_step", counters, kOptimizerCounters, counters);
  check_vector("begin_step", scaler, kScalerValues, counters);
  check_vector("begin_step", coefficients, kStepCoefficients, counters);
  UNET3D_RUN_ON_DEVICE_OF(counters, backend::begin_step, counters, scaler, rule, coefficients);
}

void end_step(Tensor& counters, Tensor& scaler, bool scaler_enabled) {
  check_vector("end_step", counters, kOptimizerCounters, counters);
  check_vector("end_step", scaler, kScalerValues, counters);
  UNET3D_RUN_ON_DEVICE_OF(counters, backend::end_step, counters, scaler, scaler_enabled);
}

}  // namespace unet3d
