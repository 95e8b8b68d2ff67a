// BatchNorm3d written once against an execution policy (Exec<OnCpu> or Exec<OnGpu>): the same
// per-channel sums, per-channel finalisation and per-element passes on both backends.
// S is the activation storage type, P = compute_t<S> the parameter type.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/activation.h"
#include "kernels/backend.h"
#include "kernels/batchnorm.h"
#include "kernels/batchnorm_cpu.h"
#include "kernels/channel_reduce.h"
#include "kernels/indexing.h"
#include "kernels/numeric.h"
#include "runtime/workspace.h"

namespace unet3d::batchnorm_impl {

template <class S>
struct StatsTerm {  // sum x, sum x^2
  const S* x;
  std::int64_t channels;
  UNET3D_HD Sums<2> operator()(std::int64_t row, std::int64_t c) const {
    const double v = load(&x[row * channels + c]);
    return {{v, v * v}};
  }
};

// The gradient reaching the normalisation, through the fused activation.
template <class S>
UNET3D_HD compute_t<S> masked_grad(const S* y, const S* dy, std::int64_t i, Activation a) {
  return activation_grad(compute_t<S>(load(&y[i])), compute_t<S>(load(&dy[i])), a);
}

template <class S>
struct BackwardTerm {  // sum g, sum g * xhat
  const S *x, *y, *dy;
  const compute_t<S>*mean, *inv_std;
  std::int64_t channels;
  Activation activation;
  UNET3D_HD Sums<2> operator()(std::int64_t row, std::int64_t c) const {
    const std::int64_t i = row * channels + c;
    const double g = masked_grad(y, dy, i, activation);
    const double xhat = (load(&x[i]) - mean[c]) * inv_std[c];
    return {{g, g * xhat}};
  }
};

// y := activate(gamma (x - mean) inv_std + beta) per channel: training and evaluation alike,
// from their own statistics.
template <class Exec, class S, class P>
void normalize(const S* x, S* y, const P* gamma, const P* beta, const P* mean, const P* inv_std,
               std::int64_t rows, std::int64_t C, Activation a) {
  // The CPU's f32 version runs 16 lanes at a time where the shared loop runs one value.
  if constexpr (std::is_same_v<Exec, ::unet3d::Exec<OnCpu>> && std::is_same_v<S, float> &&
                std::is_same_v<P, float>) {
    cpu::batchnorm_normalize_f32(x, y, gamma, beta, mean, inv_std, rows, C, a);
  } else {
    Exec::for_each_run(rows, C,
                       [=] UNET3D_HD_LAMBDA(std::int64_t r, std::int64_t first, std::int64_t end) {
                         for (std::int64_t c = first, i = r * C + first; c < end; ++c, ++i) {
                           const P v = gamma[c] * ((load(&x[i]) - mean[c]) * inv_std[c]) + beta[c];
                           store(&y[i], activate(v, a));
                         }
                       });
  }
}

// mean and inv_std ([C]) of `rows` rows of C channels (over every rank's rows where `ranks` is
// given), the variance biased as normalisation uses it; where running_mean is given, the
// running statistics are updated too, with the unbiased variance (BatchNorm's training mode).
template <class Exec, class S, class P>
void statistics(const S* x, std::int64_t rows, std::int64_t C, double eps, RankSums* ranks,
                Device device, P* mean, P* inv_std, P* running_mean, P* running_var,
                double momentum) {
  double* sums = Exec::template channel_sums<2>(rows, C, StatsTerm<S>{x, C});
  // Every rank's micro-batch has this shape, so the synchronised count is rows x ranks.
  double count = static_cast<double>(rows);
  if (ranks != nullptr) {
    ranks->sum(sums, static_cast<std::size_t>(2 * C), device);
    count *= ranks->ranks();
  }
  Exec::for_each(C, [=] UNET3D_HD_LAMBDA(std::int64_t c) {
    const double m = sums[c] / count;
    const double var = fmax(sums[C + c] / count - m * m, 0.0);
    mean[c] = static_cast<P>(m);
    inv_std[c] = static_cast<P>(1.0 / sqrt(var + eps));
    if (running_mean == nullptr) return;
    const double unbiased = var * count / (count - 1);
    running_mean[c] = static_cast<P>((1 - momentum) * running_mean[c] + momentum * m);
    running_var[c] = static_cast<P>((1 - momentum) * running_var[c] + momentum * unbiased);
  });
}

// The backward of normalisation over `rows` rows with statistics mean and inv_std ([C]): dx
// overwritten, dgamma and dbeta accumulated into; with `ranks`, dx's means are over every
// rank's rows (dgamma and dbeta get this rank's own sums).
template <class Exec, class S, class P>
void backward_rows(const S* x, const S* y, const S* dy, const P* gamma, const P* mean,
                   const P* inv_std, S* dx, P* dgamma, P* dbeta, std::int64_t rows, std::int64_t C,
                   Activation activation, RankSums* ranks, Device device) {
  // The CPU's f32 version sums f32 vectors of 16 lanes where the shared loop sums doubles.
  if constexpr (std::is_same_v<Exec, ::unet3d::Exec<OnCpu>> && std::is_same_v<S, float> &&
                std::is_same_v<P, float>) {
    cpu::batchnorm_backward_f32(x, y, dy, gamma, mean, inv_std, rows, C, activation, dx, dgamma,
                                dbeta, ranks);
  } else {
    double* sums = Exec::template channel_sums<2>(
        rows, C, BackwardTerm<S>{x, y, dy, mean, inv_std, C, activation});
    Exec::for_each(C, [=] UNET3D_HD_LAMBDA(std::int64_t c) {
      dbeta[c] += static_cast<P>(sums[c]);
      dgamma[c] += static_cast<P>(sums[C + c]);
    });
    double count = static_cast<double>(rows);
    if (ranks != nullptr) {  // dx needs the means over every rank's batch
      ranks->sum(sums, static_cast<std::size_t>(2 * C), device);
      count *= ranks->ranks();
    }
    const double inv_rows = 1.0 / count;
    Exec::for_each_run(rows, C,
                       [=] UNET3D_HD_LAMBDA(std::int64_t r, std::int64_t first, std::int64_t end) {
                         for (std::int64_t c = first, i = r * C + first; c < end; ++c, ++i) {
                           const P xhat = (load(&x[i]) - mean[c]) * inv_std[c];
                           const P g = masked_grad(y, dy, i, activation);
                           const P mean_g = static_cast<P>(sums[c] * inv_rows);
                           const P mean_gx = static_cast<P>(sums[C + c] * inv_rows);
                           store(&dx[i], gamma[c] * inv_std[c] * (g - mean_g - xhat * mean_gx));
                         }
                       });
  }
}

}  // namespace unet3d::batchnorm_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On, class S = DispatchDtype>
void batchnorm_forward_train(const Tensor& xt, const Tensor& gamma_t, const Tensor& beta_t,
                             Tensor& running_mean_t, Tensor& running_var_t, Tensor& saved_mean_t,
                             Tensor& saved_inv_std_t, Tensor& yt, const BatchNormOptions& o) {
  if constexpr (std::is_same_v<S, DispatchDtype>) {
    Exec<On>::with_storage_type("batchnorm_forward_train", xt, [&](auto s) {
      batchnorm_forward_train<On, decltype(s)>(xt, gamma_t, beta_t, running_mean_t, running_var_t,
                                               saved_mean_t, saved_inv_std_t, yt, o);
    });
  } else {
    using P = compute_t<S>;
    const std::int64_t C = xt.shape().c, rows = xt.numel() / C;
    const S* x = static_cast<const S*>(xt.data());
    S* y = static_cast<S*>(yt.data());
    const P* gamma = static_cast<const P*>(gamma_t.data());
    const P* beta = static_cast<const P*>(beta_t.data());
    P* running_mean = static_cast<P*>(running_mean_t.data());
    P* running_var = static_cast<P*>(running_var_t.data());
    P* mean = static_cast<P*>(saved_mean_t.data());
    P* inv_std = static_cast<P*>(saved_inv_std_t.data());
    batchnorm_impl::statistics<Exec<On>>(x, rows, C, o.eps, o.ranks, xt.device(), mean, inv_std,
                                         running_mean, running_var, o.momentum);
    batchnorm_impl::normalize<Exec<On>>(x, y, gamma, beta, mean, inv_std, rows, C, o.activation);
  }
}

template <class On, class S = DispatchDtype>
void batchnorm_forward_eval(const Tensor& xt, const Tensor& gamma_t, const Tensor& beta_t,
                            const Tensor& running_mean_t, const Tensor& running_var_t, Tensor& yt,
                            const BatchNormOptions& o) {
  if constexpr (std::is_same_v<S, DispatchDtype>) {
    Exec<On>::with_storage_type("batchnorm_forward_eval", xt, [&](auto s) {
      batchnorm_forward_eval<On, decltype(s)>(xt, gamma_t, beta_t, running_mean_t, running_var_t,
                                              yt, o);
    });
  } else {
    using P = compute_t<S>;
    const std::int64_t C = xt.shape().c;
    const S* x = static_cast<const S*>(xt.data());
    S* y = static_cast<S*>(yt.data());
    const P* gamma = static_cast<const P*>(gamma_t.data());
    const P* beta = static_cast<const P*>(beta_t.data());
    const P* mean = static_cast<const P*>(running_mean_t.data());
    const P* var = static_cast<const P*>(running_var_t.data());
    const double eps = o.eps;
    const Activation activation = o.activation;
    // 1 / sqrt(var + eps) once per channel, in the workspace (no op holds it across calls).
    P* inv_std = static_cast<P*>(workspace(xt.device(), static_cast<std::size_t>(C) * sizeof(P)));
    Exec<On>::for_each(C, [=] UNET3D_HD_LAMBDA(std::int64_t c) {
      inv_std[c] = static_cast<P>(1.0 / sqrt(static_cast<double>(var[c]) + eps));
    });
    batchnorm_impl::normalize<Exec<On>>(x, y, gamma, beta, mean, inv_std, xt.numel() / C, C,
                                        activation);
  }
}

template <class On, class S = DispatchDtype>
void batchnorm_backward(const Tensor& xt, const Tensor& yt, const Tensor& dyt,
                        const Tensor& gamma_t, const Tensor& mean_t, const Tensor& inv_std_t,
                        Tensor& dxt, Tensor& dgamma_t, Tensor& dbeta_t, const BatchNormOptions& o) {
  if constexpr (std::is_same_v<S, DispatchDtype>) {
    Exec<On>::with_storage_type("batchnorm_backward", xt, [&](auto s) {
      batchnorm_backward<On, decltype(s)>(xt, yt, dyt, gamma_t, mean_t, inv_std_t, dxt, dgamma_t,
                                          dbeta_t, o);
    });
  } else {
    using P = compute_t<S>;
    const std::int64_t C = xt.shape().c, rows = xt.numel() / C;
    const S* x = static_cast<const S*>(xt.data());
    const S* y = static_cast<const S*>(yt.data());
    const S* dy = static_cast<const S*>(dyt.data());
    S* dx = static_cast<S*>(dxt.data());
    const P* gamma = static_cast<const P*>(gamma_t.data());
    const P* mean = static_cast<const P*>(mean_t.data());
    const P* inv_std = static_cast<const P*>(inv_std_t.data());
    P* dgamma = static_cast<P*>(dgamma_t.data());
    P* dbeta = static_cast<P*>(dbeta_t.data());
    batchnorm_impl::backward_rows<Exec<On>>(x, y, dy, gamma, mean, inv_std, dx, dgamma, dbeta, rows,
                                            C, o.activation, o.ranks, xt.device());
  }
}

}  // namespace unet3d::backend
