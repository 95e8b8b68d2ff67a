// Softmax over channels written once against an execution policy.
#pragma once

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
