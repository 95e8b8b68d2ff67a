// Channel concatenation and split on CUDA: channels_impl.h with the CUDA loops.
#include "kernels/channels.h"
#include "kernels/channels_impl.h"
#include "kernels/exec_gpu.cuh"

namespace unet3d::gpu {

void concat_channels(const Tensor& a, const Tensor& b, Tensor& out) {
  with_storage_type("concat_channels", out, [&](auto s) {
    using S = decltype(s);
    channels_impl::concat<Exec>(static_cast<const S*>(a.data()), static_cast<const S*>(b.data()),
                                static_cast<S*>(out.data()), a.numel() / a.shape().c, a.shape().c,
                                b.shape().c);
  });
}

void split_channels(const Tensor& dout, Tensor& da, Tensor& db) {
  with_storage_type("split_channels", dout, [&](auto s) {
    using S = decltype(s);
    channels_impl::split<Exec>(static_cast<const S*>(dout.data()), static_cast<S*>(da.data()),
                               static_cast<S*>(db.data()), da.numel() / da.shape().c, da.shape().c,
                               db.shape().c);
  });
}

}  // namespace unet3d::gpu
