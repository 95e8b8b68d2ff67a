// The Adam update written once against an execution policy, in torch.optim.Adam's order of
// operations (lerp for the first moment, addcmul for the second, denominator
// sqrt(v) / sqrt(1 - beta2^t) + eps, step lr / (1 - beta1^t), both factors from begin_step).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/adam.h"
#include "kernels/backend.h"
#include "kernels/numeric.h"
#include "kernels/step_control.h"

namespace unet3d::adam_impl {

template <class Exec, class P, class H>
void update(P* value, P* grad, P* m, P* v, H* half, std::int64_t n, const AdamOptions& s,
            const double* coefficients) {
  const P b1 = static_cast<P>(s.beta1), b2 = static_cast<P>(s.beta2);
  const P eps = static_cast<P>(s.eps);
  // Adam adds the decay to the gradient; AdamW shrinks the value first (torch's order).
  const P decay = s.decoupled_weight_decay ? P(0) : static_cast<P>(s.weight_decay);
  const P shrink = s.decoupled_weight_decay ? static_cast<P>(1 - s.lr * s.weight_decay) : P(1);
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    if (coefficients[kSkipStep] != 0) {
      grad[i] = 0;
      return;
    }
    const P step_size = static_cast<P>(coefficients[kStepFactorA]);
    const P correction2_sqrt = static_cast<P>(coefficients[kStepFactorB]);
    P g = grad[i] * static_cast<P>(coefficients[kGradScale]);
    if (decay != 0) g += decay * value[i];
    const P m_new = m[i] + (1 - b1) * (g - m[i]);
    const P v_new = v[i] * b2 + (1 - b2) * g * g;
    const P denominator = sqrt(v_new) / correction2_sqrt + eps;
    const P kept = shrink != 1 ? value[i] * shrink : value[i];
    const P p = kept - step_size * (m_new / denominator);
    m[i] = m_new;
    v[i] = v_new;
    value[i] = p;
    if (half != nullptr) store(&half[i], static_cast<float>(p));
    grad[i] = 0;
  });
}

}  // namespace unet3d::adam_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On>
void adam_update(const AdamUpdateArgs& a) {
  const auto* k = static_cast<const double*>(a.coefficients.data());
  auto* h = a.half ? static_cast<storage_t<On, DType::f16>*>(a.half->data()) : nullptr;
  if (a.values.dtype() == DType::f64)
    adam_impl::update<Exec<On>>(
        static_cast<double*>(a.values.data()), static_cast<double*>(a.grads.data()),
        static_cast<double*>(a.exp_avg.data()), static_cast<double*>(a.exp_avg_sq.data()), h,
        a.values.numel(), a.options, k);
  else
    adam_impl::update<Exec<On>>(
        static_cast<float*>(a.values.data()), static_cast<float*>(a.grads.data()),
        static_cast<float*>(a.exp_avg.data()), static_cast<float*>(a.exp_avg_sq.data()), h,
        a.values.numel(), a.options, k);
}

}  // namespace unet3d::backend

#define UNET3D_ADAM_ENTRIES(X) X(PLAIN, adam_update)
