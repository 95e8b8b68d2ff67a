// Softmax on the CPU: softmax_impl.h with the CPU loops.
#include "kernels/exec_cpu.h"
#include "kernels/softmax.h"
#include "kernels/softmax_impl.h"

namespace unet3d::cpu {

void softmax_forward(const Tensor& z, Tensor& p) {
  with_storage_type("softmax_forward", z, [&](auto s) {
    using S = decltype(s);
    softmax_impl::forward<Exec>(z.data_as<S>(), p.data_as<S>(), z.numel() / z.shape().c,
                                z.shape().c);
  });
}

void softmax_backward(const Tensor& p, const Tensor& dp, Tensor& dz) {
  with_storage_type("softmax_backward", p, [&](auto s) {
    using S = decltype(s);
    softmax_impl::backward<Exec>(p.data_as<S>(), dp.data_as<S>(), dz.data_as<S>(),
                                 p.numel() / p.shape().c, p.shape().c);
  });
}

}  // namespace unet3d::cpu
