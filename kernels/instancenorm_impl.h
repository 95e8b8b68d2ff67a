// InstanceNorm3d written once against an execution policy: each sample's statistics,
// normalisation and backward are BatchNorm's (batchnorm_impl.h) over that sample's rows.
#pragma once

#include <type_traits>

#include "kernels/batchnorm_impl.h"
#include "kernels/instancenorm.h"

namespace unet3d::backend {

template <class On, class S = DispatchDtype>
void instancenorm_forward(const Tensor& xt, const Tensor& gamma_t, const Tensor& beta_t,
                          Tensor& saved_mean_t, Tensor& saved_inv_std_t, Tensor& yt,
                          const InstanceNormOptions& o) {
  if constexpr (std::is_same_v<S, DispatchDtype>) {
    Exec<On>::with_storage_type("instancenorm_forward", xt, [&](auto s) {
      instancenorm_forward<On, decltype(s)>(xt, gamma_t, beta_t, saved_mean_t, saved_inv_std_t, yt,
                                            o);
    });
  } else {
    using P = compute_t<S>;
    const std::int64_t C = xt.shape().c, rows = xt.numel() / (C * xt.shape().n);
    const S* x = static_cast<const S*>(xt.data());
    S* y = static_cast<S*>(yt.data());
    const P* gamma = static_cast<const P*>(gamma_t.data());
    const P* beta = static_cast<const P*>(beta_t.data());
    P* mean = static_cast<P*>(saved_mean_t.data());
    P* inv_std = static_cast<P*>(saved_inv_std_t.data());
    for (std::int64_t n = 0; n < xt.shape().n; ++n) {
      const std::int64_t at = n * rows * C;
      batchnorm_impl::statistics<Exec<On>>(x + at, rows, C, o.eps, nullptr, xt.device(),
                                           mean + n * C, inv_std + n * C, static_cast<P*>(nullptr),
                                           static_cast<P*>(nullptr), 0.0);
      batchnorm_impl::normalize<Exec<On>>(x + at, y + at, gamma, beta, mean + n * C,
                                          inv_std + n * C, rows, C, o.activation);
    }
  }
}

template <class On, class S = DispatchDtype>
void instancenorm_backward(const Tensor& xt, const Tensor& yt, const Tensor& dyt,
                           const Tensor& gamma_t, const Tensor& mean_t, const Tensor& inv_std_t,
                           Tensor& dxt, Tensor& dgamma_t, Tensor& dbeta_t,
                           const InstanceNormOptions& o) {
  if constexpr (std::is_same_v<S, DispatchDtype>) {
    Exec<On>::with_storage_type("instancenorm_backward", xt, [&](auto s) {
      instancenorm_backward<On, decltype(s)>(xt, yt, dyt, gamma_t, mean_t, inv_std_t, dxt, dgamma_t,
                                             dbeta_t, o);
    });
  } else {
    using P = compute_t<S>;
    const std::int64_t C = xt.shape().c, rows = xt.numel() / (C * xt.shape().n);
    const S* x = static_cast<const S*>(xt.data());
    const S* y = static_cast<const S*>(yt.data());
    const S* dy = static_cast<const S*>(dyt.data());
    S* dx = static_cast<S*>(dxt.data());
    const P* gamma = static_cast<const P*>(gamma_t.data());
    const P* mean = static_cast<const P*>(mean_t.data());
    const P* inv_std = static_cast<const P*>(inv_std_t.data());
    P* dgamma = static_cast<P*>(dgamma_t.data());
    P* dbeta = static_cast<P*>(dbeta_t.data());
    for (std::int64_t n = 0; n < xt.shape().n; ++n) {
      const std::int64_t at = n * rows * C;
      batchnorm_impl::backward_rows<Exec<On>>(x + at, y + at, dy + at, gamma, mean + n * C,
                                              inv_std + n * C, dx + at, dgamma, dbeta, rows, C,
                                              o.activation, nullptr, xt.device());
    }
  }
}

}  // namespace unet3d::backend
