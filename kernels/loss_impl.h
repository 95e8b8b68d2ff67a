// The losses written once against an execution policy: a per-class (or single) sum pass over
// the logits, a one-thread finalisation that turns the sums into the loss value and the
// gradient's coefficients (in place, over the sums), and a per-voxel gradient pass.
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/backend.h"
#include "kernels/channel_reduce.h"
#include "kernels/loss.h"
#include "kernels/softmax_ops.h"

namespace unet3d::loss_impl {

// p_c of one voxel's logits, from the voxel's max and softmax denominator.
template <class S>
UNET3D_HD compute_t<S> probability(const S* z, std::int64_t c, compute_t<S> max,
                                   compute_t<S> denominator) {
  return exp(load(&z[c]) - max) / denominator;
}

template <class S>
struct DiceTerm {  // sum p_c g_c, sum p_c, sum g_c
  const S* z;
  const std::uint8_t* labels;
  std::int64_t classes;
  UNET3D_HD Sums<3> operator()(std::int64_t row, std::int64_t c) const {
    const S* zr = z + row * classes;
    const auto max = ops::channel_max(zr, classes);
    const double p = probability(zr, c, max, ops::exp_sum(zr, classes, max));
    const double g = labels[row] == c ? 1.0 : 0.0;
    return {{p * g, p, g}};
  }
};

// The same sums from probabilities already computed (p, rows x classes).
template <class S>
struct DiceProbabilityTerm {
  const S* p;
  const std::uint8_t* labels;
  std::int64_t classes;
  UNET3D_HD Sums<3> operator()(std::int64_t row, std::int64_t c) const {
    const double pc = load(&p[row * classes + c]);
    const double g = labels[row] == c ? 1.0 : 0.0;
    return {{pc * g, pc, g}};
  }
};

// p := softmax(z) per voxel (the exps of the Dice sums and gradient, computed once).
template <class Exec, class S>
void probabilities(const S* z, S* p, std::int64_t rows, std::int64_t classes) {
  Exec::for_each(rows, [=] UNET3D_HD_LAMBDA(std::int64_t r) {
    const S* zr = z + r * classes;
    const auto max = ops::channel_max(zr, classes);
    const auto denominator = ops::exp_sum(zr, classes, max);
    for (std::int64_t c = 0; c < classes; ++c)
      store(&p[r * classes + c], probability(zr, c, max, denominator));
  });
}

// dz := the Dice gradient, in place over the probabilities p that dz holds.
template <class Exec, class S>
void dice_gradient_from_probabilities(const std::uint8_t* labels, const double* a, const double* b,
                                      S* pz, std::int64_t rows, std::int64_t classes) {
  Exec::for_each(rows, [=] UNET3D_HD_LAMBDA(std::int64_t r) {
    using T = compute_t<S>;
    S* row = pz + r * classes;
    const std::int64_t y = labels[r];
    T dot = 0;
    for (std::int64_t c = 0; c < classes; ++c) dot += load(&row[c]) * T(a[c] * (y == c) + b[c]);
    for (std::int64_t c = 0; c < classes; ++c) {
      const T p = load(&row[c]);
      store(&row[c], p * (T(a[c] * (y == c) + b[c]) - dot));
    }
  });
}

template <class S>
struct CrossEntropyTerm {  // sum w_y (-log p_y), sum w_y
  const S* z;
  const std::uint8_t* labels;
  const compute_t<S>* weights;  // null: all 1
  std::int64_t classes;
  UNET3D_HD Sums<2> operator()(std::int64_t row, std::int64_t) const {
    const std::int64_t y = labels[row];
    if (y >= classes) return {{0.0, 0.0}};
    const S* zr = z + row * classes;
    const auto max = ops::channel_max(zr, classes);
    const double nll = max + log(ops::exp_sum(zr, classes, max)) - load(&zr[y]);
    const double w = weights ? static_cast<double>(weights[y]) : 1.0;
    return {{w * nll, w}};
  }
};

// dlogits := (or +=) the Dice gradient through the softmax, per voxel: with dL/dp_c =
// a[c] g_c + b[c], dz_c = p_c (dL/dp_c - sum_k p_k dL/dp_k).
template <class Exec, class S>
void dice_gradient(const S* z, const std::uint8_t* labels, const double* a, const double* b, S* dz,
                   std::int64_t rows, std::int64_t classes, bool accumulate) {
  Exec::for_each(rows, [=] UNET3D_HD_LAMBDA(std::int64_t r) {
    using T = compute_t<S>;
    const S* zr = z + r * classes;
    const T max = ops::channel_max(zr, classes);
    const T denominator = ops::exp_sum(zr, classes, max);
    const std::int64_t y = labels[r];
    T dot = 0;
    for (std::int64_t c = 0; c < classes; ++c)
      dot += probability(zr, c, max, denominator) * T(a[c] * (y == c) + b[c]);
    for (std::int64_t c = 0; c < classes; ++c) {
      const T p = probability(zr, c, max, denominator);
      T g = p * (T(a[c] * (y == c) + b[c]) - dot);
      if (accumulate) g += load(&dz[r * classes + c]);
      store(&dz[r * classes + c], g);
    }
  });
}

template <class Exec, class T>
void combine_terms(T* loss, double alpha, double beta) {
  Exec::for_each(1, [=] UNET3D_HD_LAMBDA(std::int64_t) {
    loss[0] = static_cast<T>(alpha * loss[1] + beta * loss[2]);
  });
}

// dz := k w_y (p - onehot(y)) per voxel, k = sums[1] (the factor cross_entropy leaves there);
// added to dz where `accumulate`.
template <class Exec, class S>
void cross_entropy_gradient(const S* z, const std::uint8_t* labels, const compute_t<S>* weights,
                            const double* sums, S* dz, std::int64_t rows, std::int64_t C,
                            bool accumulate) {
  using T = compute_t<S>;
  Exec::for_each(rows, [=] UNET3D_HD_LAMBDA(std::int64_t r) {
    const S* zr = z + r * C;
    const std::int64_t y = labels[r];
    const T max = ops::channel_max(zr, C);
    const T denominator = ops::exp_sum(zr, C, max);
    const T kw = y < C ? T(sums[1] * (weights ? static_cast<double>(weights[y]) : 1.0)) : T(0);
    for (std::int64_t c = 0; c < C; ++c) {
      T g = kw * (probability(zr, c, max, denominator) - T(y == c ? 1 : 0));
      if (accumulate) g += load(&dz[r * C + c]);
      store(&dz[r * C + c], g);
    }
  });
}

}  // namespace unet3d::loss_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

// loss[0] := alpha loss[1] + beta loss[2] (combined_loss's last step).
template <class On>
void combine_loss_terms(Tensor& loss, double alpha, double beta) {
  if (loss.dtype() == DType::f64)
    loss_impl::combine_terms<Exec<On>>(static_cast<double*>(loss.data()), alpha, beta);
  else
    loss_impl::combine_terms<Exec<On>>(static_cast<float*>(loss.data()), alpha, beta);
}

template <class On>
void tally_loss(const TallyLossArgs& a) {
  auto* tally = static_cast<double*>(a.tally.data());
  const LossTerms terms = a.terms;  // by value into the lambda, for the device
  Exec<On>::for_each(1, [=] UNET3D_HD_LAMBDA(std::int64_t) {
    double value = 0;
    for (int k = 0; k < terms.count; ++k)
      value += terms.weights[k] * (terms.f64 ? *static_cast<const double*>(terms.values[k])
                                             : double{*static_cast<const float*>(terms.values[k])});
    tally[kLossSum] += value;
    tally[kLossCount] += 1;
    tally[kLastLoss] = value;
  });
}

template <class On>
void mark_loss_step(const MarkLossStepArgs& a) {
  auto* tally = static_cast<double*>(a.tally.data());
  Exec<On>::for_each(
      1, [=] UNET3D_HD_LAMBDA(std::int64_t) { tally[kLossSumAtStep] = tally[kLossSum]; });
}

// dice_loss, or log_dice_loss where log_of_loss.
template <class On, DType D>
void dice_loss(const DiceLossArgs& a, bool log_of_loss) {
  using S = storage_t<On, D>;
  using T = compute_t<S>;
  const LossGradient& grad = a.grad;
  const bool exclude_background = a.exclude_background;
  const std::int64_t C = a.logits.shape().c, rows = a.logits.numel() / C;
  const S* z = typed(S{}, a.logits);
  const auto* labels = static_cast<const std::uint8_t*>(a.labels.data());
  T* loss = typed(T{}, a.loss);
  const double scale = grad.scale;
  const double* loss_scale = grad.loss_scale;
  // With a gradient buffer of its own to fill (not added to) in the compute type, the
  // probabilities are computed once into it: C exps per voxel where the sums and the gradient
  // otherwise take C (C + 4). f16 keeps the recomputation: its probabilities would be rounded.
  S* dz = grad.dlogits != nullptr ? static_cast<S*>(grad.dlogits->data()) : nullptr;
  const bool staged = dz != nullptr && !grad.accumulate && std::is_same_v<S, T>;
  if (staged) loss_impl::probabilities<Exec<On>>(z, dz, rows, C);
  double* sums =
      staged ? Exec<On>::template channel_sums<3>(rows, C,
                                                  loss_impl::DiceProbabilityTerm<S>{dz, labels, C})
             : Exec<On>::template channel_sums<3>(rows, C, loss_impl::DiceTerm<S>{z, labels, C});
  if (grad.ranks != nullptr)
    grad.ranks->sum(sums, static_cast<std::size_t>(3 * C), a.logits.device());
  // One thread: the loss, then a[c] = sums[c], b[c] = sums[C + c], scaled for the caller.
  Exec<On>::for_each(1, [=] UNET3D_HD_LAMBDA(std::int64_t) {
    const std::int64_t first = exclude_background ? 1 : 0;
    const double eps = 1e-5, count = static_cast<double>(C - first);
    double mean_dice = 0;
    for (std::int64_t c = first; c < C; ++c)
      mean_dice += (2 * sums[c] + eps) / (sums[C + c] + sums[2 * C + c] + eps) / count;
    const double value = 1 - mean_dice;
    double factor = loss_scale != nullptr ? scale * *loss_scale : scale;
    if (log_of_loss) factor = value > 1e-7 ? factor / value : 0.0;
    *loss = static_cast<T>(log_of_loss ? log(fmax(value, 1e-7)) : value);
    for (std::int64_t c = 0; c < C; ++c) {
      const double numerator = 2 * sums[c] + eps;
      const double denominator = sums[C + c] + sums[2 * C + c] + eps;
      const bool included = c >= first;
      sums[c] = included ? -factor * 2 / (count * denominator) : 0.0;
      sums[C + c] = included ? factor * numerator / (count * denominator * denominator) : 0.0;
    }
  });
  if (staged)
    loss_impl::dice_gradient_from_probabilities<Exec<On>>(labels, sums, sums + C, dz, rows, C);
  else if (dz != nullptr)
    loss_impl::dice_gradient<Exec<On>>(z, labels, sums, sums + C, dz, rows, C, grad.accumulate);
}

template <class On, DType D>
void cross_entropy(const CrossEntropyArgs& a) {
  using S = storage_t<On, D>;
  using T = compute_t<S>;
  const LossGradient& grad = a.grad;
  const std::int64_t C = a.logits.shape().c, rows = a.logits.numel() / C;
  const S* z = typed(S{}, a.logits);
  const auto* labels = static_cast<const std::uint8_t*>(a.labels.data());
  const T* weights = a.class_weights ? typed(T{}, *a.class_weights) : nullptr;
  T* loss = typed(T{}, a.loss);
  const double scale = grad.scale;
  const double* loss_scale = grad.loss_scale;
  double* sums = Exec<On>::template channel_sums<2>(
      rows, 1, loss_impl::CrossEntropyTerm<S>{z, labels, weights, C});
  if (grad.ranks != nullptr) grad.ranks->sum(sums, 2, a.logits.device());
  Exec<On>::for_each(1, [=] UNET3D_HD_LAMBDA(std::int64_t) {
    *loss = static_cast<T>(sums[1] > 0 ? sums[0] / sums[1] : 0.0);
    const double factor = loss_scale != nullptr ? scale * *loss_scale : scale;
    sums[1] = sums[1] > 0 ? factor / sums[1] : 0.0;  // k: the gradient's factor
  });
  if (grad.dlogits != nullptr)
    loss_impl::cross_entropy_gradient<Exec<On>>(
        z, labels, weights, sums, static_cast<S*>(grad.dlogits->data()), rows, C, grad.accumulate);
}

}  // namespace unet3d::backend

#define UNET3D_LOSS_ENTRIES(X) \
  X(FLOAT, dice_loss)          \
  X(FLOAT, cross_entropy) X(PLAIN, combine_loss_terms) X(PLAIN, tally_loss) X(PLAIN, mark_loss_step)
