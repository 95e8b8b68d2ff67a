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
void add_channel_bias(S* y, const S* bias, std::int64_t n, std::int64_t channels) {
  const IndexDivider channel = index_divider(channels, n);
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    store(&y[i], load(&y[i]) + load(&bias[channel.remainder(i)]));
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

template <class On>
void add_channel_bias(Tensor& y, const Tensor& bias) {
  Exec<On>::with_storage_type("add_channel_bias", y, [&](auto s) {
    accumulate_impl::add_channel_bias<Exec<On>>(typed(s, y), typed(s, bias), y.numel(),
                                                y.shape().c);
  });
}

template <class On>
void accumulate_channel_sums(const Tensor& dy, Tensor& sums) {
  Exec<On>::with_storage_type("accumulate_channel_sums", dy, [&](auto s) {
    using S = decltype(s);
    accumulate_impl::channel_sums_into<Exec<On>>(typed(s, dy),
                                                 static_cast<compute_t<S>*>(sums.data()),
                                                 dy.numel() / dy.shape().c, dy.shape().c);
  });
}

template <class On>
void accumulate_into(const Tensor& x, Tensor& y) {
  Exec<On>::with_storage_type("accumulate_into", x, [&](auto s) {
    using S = decltype(s);
    accumulate_impl::accumulate_into<Exec<On>>(typed(s, x), static_cast<compute_t<S>*>(y.data()),
                                               x.numel());
  });
}

}  // namespace unet3d::backend
