// Softmax over channels written once against an execution policy.
#pragma once

#include "kernels/backend.h"
#include "kernels/softmax.h"
#include "kernels/softmax_ops.h"

namespace unet3d::softmax_impl {

template <class Exec, class S>
void forward(const S* z, S* p, std::int64_t rows, std::int64_t channels) {
  Exec::for_each(rows, [=] UNET3D_HD_LAMBDA(std::int64_t r) {
    const S* zr = z + r * channels;
    const auto max = ops::channel_max(zr, channels);
    const auto inv_sum = 1 / ops::exp_sum(zr, channels, max);
    for (std::int64_t c = 0; c < channels; ++c)
      store(&p[r * channels + c], exp(load(&zr[c]) - max) * inv_sum);
  });
}

template <class Exec, class S>
void backward(const S* p, const S* dp, S* dz, std::int64_t rows, std::int64_t channels) {
  Exec::for_each(rows, [=] UNET3D_HD_LAMBDA(std::int64_t r) {
    const std::int64_t base = r * channels;
    compute_t<S> dot = 0;
    for (std::int64_t c = 0; c < channels; ++c) dot += load(&p[base + c]) * load(&dp[base + c]);
    for (std::int64_t c = 0; c < channels; ++c)
      store(&dz[base + c], load(&p[base + c]) * (load(&dp[base + c]) - dot));
  });
}

}  // namespace unet3d::softmax_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On>
void softmax_forward(const Tensor& z, Tensor& p) {
  Exec<On>::with_storage_type("softmax_forward", z, [&](auto s) {
    using S = decltype(s);
    softmax_impl::forward<Exec<On>>(static_cast<const S*>(z.data()), static_cast<S*>(p.data()),
                                    z.numel() / z.shape().c, z.shape().c);
  });
}

template <class On>
void softmax_backward(const Tensor& p, const Tensor& dp, Tensor& dz) {
  Exec<On>::with_storage_type("softmax_backward", p, [&](auto s) {
    using S = decltype(s);
    softmax_impl::backward<Exec<On>>(static_cast<const S*>(p.data()),
                                     static_cast<const S*>(dp.data()), static_cast<S*>(dz.data()),
                                     p.numel() / p.shape().c, p.shape().c);
  });
}

}  // namespace unet3d::backend
