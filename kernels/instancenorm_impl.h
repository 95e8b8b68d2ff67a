// InstanceNorm3d written once against an execution policy: each sample's statistics,
// normalisation and backward are BatchNorm's (batchnorm_impl.h) over that sample's rows.
#pragma once

#include "kernels/batchnorm_impl.h"
#include "kernels/instancenorm.h"

namespace unet3d::backend {

template <class On, DType D>
void instancenorm_forward(const InstanceNormForwardArgs& a) {
  using S = storage_t<On, D>;
  using P = compute_t<S>;
  const std::int64_t C = a.x.shape().c, rows = a.x.numel() / (C * a.x.shape().n);
  const S* x = typed(S{}, a.x);
  S* y = typed(S{}, a.y);
  P *mean = typed(P{}, a.saved_mean), *inv_std = typed(P{}, a.saved_inv_std);
  for (std::int64_t n = 0; n < a.x.shape().n; ++n) {
    const std::int64_t at = n * rows * C;
    batchnorm_impl::statistics<Exec<On>>(x + at, rows, C, a.eps, nullptr, a.x.device(),
                                         mean + n * C, inv_std + n * C, static_cast<P*>(nullptr),
                                         static_cast<P*>(nullptr), 0.0);
    Exec<On>::for_each_run(
        rows, C,
        batchnorm_impl::Normalize<S>{x + at, y + at, typed(P{}, a.gamma), typed(P{}, a.beta),
                                     mean + n * C, inv_std + n * C, C, a.activation});
  }
}

template <class On, DType D>
void instancenorm_backward(const InstanceNormBackwardArgs& a) {
  using S = storage_t<On, D>;
  using P = compute_t<S>;
  const std::int64_t C = a.x.shape().c, rows = a.x.numel() / (C * a.x.shape().n);
  const S *x = typed(S{}, a.x), *y = typed(S{}, a.y), *dy = typed(S{}, a.dy);
  const P *mean = typed(P{}, a.saved_mean), *inv_std = typed(P{}, a.saved_inv_std);
  S* dx = typed(S{}, a.dx);
  for (std::int64_t n = 0; n < a.x.shape().n; ++n) {
    const std::int64_t at = n * rows * C;
    batchnorm_impl::backward_rows<Exec<On>>(
        x + at, y + at, dy + at, typed(P{}, a.gamma), mean + n * C, inv_std + n * C, dx + at,
        typed(P{}, a.dgamma), typed(P{}, a.dbeta), rows, C, a.activation, nullptr, a.x.device());
  }
}

}  // namespace unet3d::backend

#define UNET3D_INSTANCENORM_ENTRIES(X) \
  X(FLOAT, instancenorm_forward) X(FLOAT, instancenorm_backward)
