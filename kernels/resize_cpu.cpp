// Resizing on the CPU: resize_impl.h with the CPU loops.
#include "kernels/exec_cpu.h"
#include "kernels/resize.h"
#include "kernels/resize_impl.h"

namespace unet3d::cpu {

void resize_trilinear(const Tensor& x, Tensor& y) {
  with_storage_type("resize_trilinear", x, [&](auto s) {
    using S = decltype(s);
    resize_impl::trilinear<Exec>(static_cast<const S*>(x.data()), static_cast<S*>(y.data()),
                                 x.shape(), y.shape());
  });
}

void resize_trilinear_backward(const Tensor& dy, Tensor& dx) {
  with_storage_type("resize_trilinear_backward", dy, [&](auto s) {
    using S = decltype(s);
    resize_impl::trilinear_backward<Exec>(static_cast<const S*>(dy.data()),
                                          static_cast<S*>(dx.data()), dx.shape(), dy.shape());
  });
}

void resize_nearest(const Tensor& x, Tensor& y) {
  with_element_bits(x.dtype(), [&](auto e) {
    using E = decltype(e);
    resize_impl::nearest<Exec>(static_cast<const E*>(x.data()), static_cast<E*>(y.data()),
                               x.shape(), y.shape());
  });
}

}  // namespace unet3d::cpu
