// Bias and gradient accumulation written once against an execution policy.
#pragma once

#include <cstdint>

#include "kernels/accumulate.h"
#include "kernels/backend.h"
#include "kernels/channel_reduce.h"
#include "kernels/indexing.h"
#include "kernels/numeric.h"

namespace unet3d::accumulate_impl {

template <class S>
struct ValueTerm {
  const S* x;
  std::int64_t channels;
  UNET3D_HD Sums<1> operator()(std::int64_t row, std::int64_t c) const {
    return {{static_cast<double>(load(&x[row * channels + c]))}};
  }
};

template <class Exec, class S>
void add_channel_bias(S* y, const S* bias, std::int64_t n, std::int64_t channels,
                      Activation activation) {
  const IndexDivider channel = index_divider(channels, n);
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    store(&y[i], activate(load(&y[i]) + load(&bias[channel.remainder(i)]), activation));
  });
}

template <class Exec, class S>
void channel_sums_into(const S* dy, compute_t<S>* sums, std::int64_t rows, std::int64_t channels) {
  const double* partial =
      Exec::template channel_sums<1>(rows, channels, ValueTerm<S>{dy, channels});
  Exec::for_each(channels, [=] UNET3D_HD_LAMBDA(std::int64_t c) {
    sums[c] += static_cast<compute_t<S>>(partial[c]);
  });
}

template <class Exec, class S>
void accumulate_into(const S* x, compute_t<S>* y, std::int64_t n) {
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) { y[i] += load(&x[i]); });
}

}  // namespace unet3d::accumulate_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On, DType D>
void add_channel_bias(const AddChannelBiasArgs& a) {
  using S = storage_t<On, D>;
  accumulate_impl::add_channel_bias<Exec<On>>(typed(S{}, a.y), typed(S{}, a.bias), a.y.numel(),
                                              a.y.shape().c, a.activation);
}

template <class On, DType D>
void accumulate_channel_sums(const AccumulateChannelSumsArgs& a) {
  using S = storage_t<On, D>;
  accumulate_impl::channel_sums_into<Exec<On>>(typed(S{}, a.dy),
                                               static_cast<compute_t<S>*>(a.sums.data()),
                                               a.dy.numel() / a.dy.shape().c, a.dy.shape().c);
}

template <class On, DType D>
void accumulate_into(const AccumulateIntoArgs& a) {
  using S = storage_t<On, D>;
  accumulate_impl::accumulate_into<Exec<On>>(typed(S{}, a.x),
                                             static_cast<compute_t<S>*>(a.y.data()), a.x.numel());
}

}  // namespace unet3d::backend

#define UNET3D_ACCUMULATE_ENTRIES(X) \
  X(FLOAT, add_channel_bias) X(FLOAT, accumulate_channel_sums) X(FLOAT, accumulate_into)
