// MaxPool3d on the CPU: pool_impl.h instantiated with the CPU loops.
#include "kernels/exec_cpu.h"
#include "kernels/pool.h"
#include "kernels/pool_impl.h"

namespace unet3d::cpu {

void maxpool_forward(const Tensor& x, Tensor& y) {
  with_storage_type("maxpool_forward", x, [&](auto s) {
    using S = decltype(s);
    pool_impl::forward<Exec>(x.data_as<S>(), y.data_as<S>(), x.shape(), y.shape());
  });
}

void maxpool_backward(const Tensor& x, const Tensor& dy, Tensor& dx) {
  with_storage_type("maxpool_backward", x, [&](auto s) {
    using S = decltype(s);
    pool_impl::backward<Exec>(x.data_as<S>(), dy.data_as<S>(), dx.data_as<S>(), x.shape(),
                              dy.shape());
  });
}

}  // namespace unet3d::cpu
