// The SGD update written once against an execution policy, in torch.optim.SGD's order of
// operations (nesterov: the step is d + momentum * buffer).
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/numeric.h"
#include "kernels/sgd.h"
#include "kernels/step_control.h"

namespace unet3d::sgd_impl {

template <class Exec, class P, class H>
void update(P* value, P* grad, P* buffer, H* half, std::int64_t n, const SgdOptions& step,
            const double* coefficients) {
  const P lr = static_cast<P>(step.lr), momentum = static_cast<P>(step.momentum);
  const P decay = static_cast<P>(step.weight_decay);
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    if (coefficients[kSkipStep] != 0) {
      grad[i] = 0;
      return;
    }
    const bool first = coefficients[kStepFactorA] != 0;
    P d = grad[i] * static_cast<P>(coefficients[kGradScale]);
    if (decay != 0) d += decay * value[i];
    const P b = first ? d : buffer[i] * momentum + d;
    const P p = value[i] - lr * (d + momentum * b);
    buffer[i] = b;
    value[i] = p;
    if (half != nullptr) store(&half[i], static_cast<float>(p));
    grad[i] = 0;
  });
}

}  // namespace unet3d::sgd_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On>
void sgd_update(const SgdUpdateArgs& a) {
  const auto* k = static_cast<const double*>(a.coefficients.data());
  auto* h = a.half ? static_cast<storage_t<On, DType::f16>*>(a.half->data()) : nullptr;
  if (a.values.dtype() == DType::f64)
    sgd_impl::update<Exec<On>>(
        static_cast<double*>(a.values.data()), static_cast<double*>(a.grads.data()),
        static_cast<double*>(a.buffer.data()), h, a.values.numel(), a.options, k);
  else
    sgd_impl::update<Exec<On>>(
        static_cast<float*>(a.values.data()), static_cast<float*>(a.grads.data()),
        static_cast<float*>(a.buffer.data()), h, a.values.numel(), a.options, k);
}

}  // namespace unet3d::backend

#define UNET3D_SGD_ENTRIES(X) X(PLAIN, sgd_update)
