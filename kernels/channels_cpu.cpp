// Channel concatenation and split on the CPU: channels_impl.h with the CPU loops.
#include "kernels/channels.h"
#include "kernels/channels_impl.h"
#include "kernels/exec_cpu.h"

namespace unet3d::cpu {

void concat_channels(const Tensor& a, const Tensor& b, Tensor& out) {
  with_storage_type("concat_channels", out, [&](auto s) {
    using S = decltype(s);
    channels_impl::concat<Exec>(a.data_as<S>(), b.data_as<S>(), out.data_as<S>(),
                                a.numel() / a.shape().c, a.shape().c, b.shape().c);
  });
}

void split_channels(const Tensor& dout, Tensor& da, Tensor& db) {
  with_storage_type("split_channels", dout, [&](auto s) {
    using S = decltype(s);
    channels_impl::split<Exec>(dout.data_as<S>(), da.data_as<S>(), db.data_as<S>(),
                               da.numel() / da.shape().c, da.shape().c, db.shape().c);
  });
}

}  // namespace unet3d::cpu
