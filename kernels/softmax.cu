// Softmax on CUDA: softmax_impl.h with the CUDA loops.
#include "kernels/exec_gpu.cuh"
#include "kernels/softmax.h"
#include "kernels/softmax_impl.h"

namespace unet3d::gpu {

void softmax_forward(const Tensor& z, Tensor& p) {
  with_storage_type("softmax_forward", z, [&](auto s) {
    using S = decltype(s);
    softmax_impl::forward<Exec>(static_cast<const S*>(z.data()), static_cast<S*>(p.data()),
                                z.numel() / z.shape().c, z.shape().c);
  });
}

void softmax_backward(const Tensor& p, const Tensor& dp, Tensor& dz) {
  with_storage_type("softmax_backward", p, [&](auto s) {
    using S = decltype(s);
    softmax_impl::backward<Exec>(static_cast<const S*>(p.data()), static_cast<const S*>(dp.data()),
                                 static_cast<S*>(dz.data()), p.numel() / p.shape().c, p.shape().c);
  });
}

}  // namespace unet3d::gpu
