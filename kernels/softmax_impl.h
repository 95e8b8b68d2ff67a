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

}  // namespace unet3d::softmax_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On, DType D>
void softmax_forward(const SoftmaxForwardArgs& a) {
  using S = storage_t<On, D>;
  softmax_impl::forward<Exec<On>>(typed(S{}, a.z), typed(S{}, a.p), a.z.numel() / a.z.shape().c,
                                  a.z.shape().c);
}

}  // namespace unet3d::backend

#define UNET3D_SOFTMAX_ENTRIES(X) X(FLOAT, softmax_forward)
