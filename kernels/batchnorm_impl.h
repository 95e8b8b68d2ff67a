// BatchNorm3d written once against an execution policy (Exec<OnCpu> or Exec<OnGpu>): the same
// per-channel sums, per-channel finalisation and per-element passes on both backends.
// S is the activation storage type, P = compute_t<S> the parameter type. The per-element passes
// are functors that carry everything their loop reads, so that the CPU's execution policy can
// recognise one and run its vectorised f32 version instead (batchnorm_cpu.h).
#pragma once

#include <cmath>
#include <cstdint>

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

// y := activate(gamma (x - mean) inv_std + beta) over a run of channels [first, end) of row r:
// training and evaluation alike, from their own statistics.
template <class S>
struct Normalize {
  using P = compute_t<S>;
  const S* x;
  S* y;
  const P *gamma, *beta, *mean, *inv_std;
  std::int64_t C;
  Activation activation;
  UNET3D_HD void operator()(std::int64_t r, std::int64_t first, std::int64_t end) const {
    for (std::int64_t c = first, i = r * C + first; c < end; ++c, ++i) {
      const P v = gamma[c] * ((load(&x[i]) - mean[c]) * inv_std[c]) + beta[c];
      store(&y[i], activate(v, activation));
    }
  }
};

// dx := gamma inv_std (g - mean(g) - xhat mean(g xhat)), the means from `sums` (sum g, then sum
// g xhat, per channel) times inv_rows.
template <class S>
struct DataGradient {
  using P = compute_t<S>;
  const S *x, *y, *dy;
  const P *gamma, *mean, *inv_std;
  const double* sums;
  double inv_rows;
  S* dx;
  std::int64_t C;
  Activation activation;
  UNET3D_HD void operator()(std::int64_t r, std::int64_t first, std::int64_t end) const {
    for (std::int64_t c = first, i = r * C + first; c < end; ++c, ++i) {
      const P xhat = (load(&x[i]) - mean[c]) * inv_std[c];
      const P g = masked_grad(y, dy, i, activation);
      const P mean_g = static_cast<P>(sums[c] * inv_rows);
      const P mean_gx = static_cast<P>(sums[C + c] * inv_rows);
      store(&dx[i], gamma[c] * inv_std[c] * (g - mean_g - xhat * mean_gx));
    }
  }
};

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
  Exec::for_each_run(
      rows, C,
      DataGradient<S>{x, y, dy, gamma, mean, inv_std, sums, 1.0 / count, dx, C, activation});
}

}  // namespace unet3d::batchnorm_impl

// The entry points, per backend and dtype (kernels/backend.h).
namespace unet3d::backend {

template <class On, DType D>
void batchnorm_forward_train(const BatchNormForwardTrainArgs& a) {
  using S = storage_t<On, D>;
  using P = compute_t<S>;
  const std::int64_t C = a.x.shape().c, rows = a.x.numel() / C;
  const S* x = typed(S{}, a.x);
  P *mean = typed(P{}, a.saved_mean), *inv_std = typed(P{}, a.saved_inv_std);
  batchnorm_impl::statistics<Exec<On>>(x, rows, C, a.eps, a.ranks, a.x.device(), mean, inv_std,
                                       typed(P{}, a.running_mean), typed(P{}, a.running_var),
                                       a.momentum);
  Exec<On>::for_each_run(
      rows, C,
      batchnorm_impl::Normalize<S>{x, typed(S{}, a.y), typed(P{}, a.gamma), typed(P{}, a.beta),
                                   mean, inv_std, C, a.activation});
}

template <class On, DType D>
void batchnorm_forward_eval(const BatchNormForwardEvalArgs& a) {
  using S = storage_t<On, D>;
  using P = compute_t<S>;
  const std::int64_t C = a.x.shape().c;
  const P* var = typed(P{}, a.running_var);
  const double eps = a.eps;
  // 1 / sqrt(var + eps) once per channel, in the workspace (no op holds it across calls).
  P* inv_std = static_cast<P*>(workspace(a.x.device(), static_cast<std::size_t>(C) * sizeof(P)));
  Exec<On>::for_each(C, [=] UNET3D_HD_LAMBDA(std::int64_t c) {
    inv_std[c] = static_cast<P>(1.0 / sqrt(static_cast<double>(var[c]) + eps));
  });
  Exec<On>::for_each_run(
      a.x.numel() / C, C,
      batchnorm_impl::Normalize<S>{typed(S{}, a.x), typed(S{}, a.y), typed(P{}, a.gamma),
                                   typed(P{}, a.beta), typed(P{}, a.running_mean), inv_std, C,
                                   a.activation});
}

template <class On, DType D>
void batchnorm_backward(const BatchNormBackwardArgs& a) {
  using S = storage_t<On, D>;
  using P = compute_t<S>;
  const std::int64_t C = a.x.shape().c;
  batchnorm_impl::backward_rows<Exec<On>>(
      typed(S{}, a.x), typed(S{}, a.y), typed(S{}, a.dy), typed(P{}, a.gamma),
      typed(P{}, a.saved_mean), typed(P{}, a.saved_inv_std), typed(S{}, a.dx), typed(P{}, a.dgamma),
      typed(P{}, a.dbeta), a.x.numel() / C, C, a.activation, a.ranks, a.x.device());
}

}  // namespace unet3d::backend

#define UNET3D_BATCHNORM_ENTRIES(X) \
  X(FLOAT, batchnorm_forward_train) X(FLOAT, batchnorm_forward_eval) X(FLOAT, batchnorm_backward)
