// Flips on the CPU: flip_impl.h with the CPU loops.
#include "kernels/exec_cpu.h"
#include "kernels/flip_impl.h"

namespace unet3d::cpu {

void flip(const Tensor& x, Tensor& y, unsigned axes) {
  with_element_bits(x.dtype(), [&](auto e) {
    using E = decltype(e);
    flip_impl::flip<Exec>(static_cast<const E*>(x.data()), static_cast<E*>(y.data()), x.shape(),
                          axes);
  });
}

}  // namespace unet3d::cpu
