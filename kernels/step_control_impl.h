// The step's bookkeeping written once against an execution policy: one thread each.
#pragma once

#include "kernels/backend.h"
#include "kernels/step_control.h"

namespace unet3d::backend {

template <class On>
void begin_step(const Tensor& counters, const Tensor& scaler, const StepRule& rule,
                Tensor& coefficients) {
  const auto* c = static_cast<const double*>(counters.data());
  const auto* s = static_cast<const double*>(scaler.data());
  auto* out = static_cast<double*>(coefficients.data());
  Exec<On>::for_each(1, [=] UNET3D_HD_LAMBDA(std::int64_t) { step_coefficients(c, s, rule, out); });
}

template <class On>
void end_step(Tensor& counters, Tensor& scaler, bool scaler_enabled) {
  auto* c = static_cast<double*>(counters.data());
  auto* s = static_cast<double*>(scaler.data());
  Exec<On>::for_each(1, [=] UNET3D_HD_LAMBDA(std::int64_t) { finish_step(c, s, scaler_enabled); });
}

}  // namespace unet3d::backend
