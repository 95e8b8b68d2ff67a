// MaxPool3d on CUDA: pool_impl.h instantiated with the CUDA loops.
#include "kernels/exec_gpu.cuh"
#include "kernels/pool.h"
#include "kernels/pool_impl.h"

namespace unet3d::gpu {

void maxpool_forward(const Tensor& x, Tensor& y) {
  with_storage_type("maxpool_forward", x, [&](auto s) {
    using S = decltype(s);
    pool_impl::forward<Exec>(static_cast<const S*>(x.data()), static_cast<S*>(y.data()), x.shape(),
                             y.shape());
  });
}

void maxpool_backward(const Tensor& x, const Tensor& dy, Tensor& dx) {
  with_storage_type("maxpool_backward", x, [&](auto s) {
    using S = decltype(s);
    pool_impl::backward<Exec>(static_cast<const S*>(x.data()), static_cast<const S*>(dy.data()),
                              static_cast<S*>(dx.data()), x.shape(), dy.shape());
  });
}

}  // namespace unet3d::gpu
