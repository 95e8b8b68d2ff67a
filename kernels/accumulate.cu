// Bias and gradient accumulation on CUDA: accumulate_impl.h with the CUDA loops.
#include "kernels/accumulate.h"
#include "kernels/accumulate_impl.h"
#include "kernels/exec_gpu.cuh"

namespace unet3d::gpu {

void add_channel_bias(Tensor& y, const Tensor& bias) {
  with_storage_type("add_channel_bias", y, [&](auto s) {
    using S = decltype(s);
    accumulate_impl::add_channel_bias<Exec>(
        static_cast<S*>(y.data()), static_cast<const S*>(bias.data()), y.numel(), y.shape().c);
  });
}

void accumulate_channel_sums(const Tensor& dy, Tensor& sums) {
  with_storage_type("accumulate_channel_sums", dy, [&](auto s) {
    using S = decltype(s);
    accumulate_impl::channel_sums_into<Exec>(static_cast<const S*>(dy.data()),
                                             static_cast<compute_t<S>*>(sums.data()),
                                             dy.numel() / dy.shape().c, dy.shape().c);
  });
}

void accumulate_into(const Tensor& x, Tensor& y) {
  with_storage_type("accumulate_into", x, [&](auto s) {
    using S = decltype(s);
    accumulate_impl::accumulate_into<Exec>(static_cast<const S*>(x.data()),
                                           static_cast<compute_t<S>*>(y.data()), x.numel());
  });
}

}  // namespace unet3d::gpu
