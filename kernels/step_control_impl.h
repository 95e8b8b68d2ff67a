// The step's bookkeeping written once against an execution policy: one thread each.
#pragma once

#include "kernels/backend.h"
#include "kernels/step_control.h"

namespace unet3d::backend {

template <class On>
void begin_step(const BeginStepArgs& a) {
  const auto* c = static_cast<const double*>(a.counters.data());
  const auto* s = static_cast<const double*>(a.scaler.data());
  auto* out = static_cast<double*>(a.coefficients.data());
  const StepRule rule = a.rule;  // by value into the lambda, for the device
  Exec<On>::for_each(1, [=] UNET3D_HD_LAMBDA(std::int64_t) { step_coefficients(c, s, rule, out); });
}

template <class On>
void end_step(const EndStepArgs& a) {
  auto* c = static_cast<double*>(a.counters.data());
  auto* s = static_cast<double*>(a.scaler.data());
  const bool enabled = a.scaler_enabled;
  Exec<On>::for_each(1, [=] UNET3D_HD_LAMBDA(std::int64_t) { finish_step(c, s, enabled); });
}

}  // namespace unet3d::backend

#define UNET3D_STEP_CONTROL_ENTRIES(X) X(PLAIN, begin_step) X(PLAIN, end_step)
