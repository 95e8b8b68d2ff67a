// Flips on CUDA: flip_impl.h with the CUDA loops.
#include "kernels/exec_gpu.cuh"
#include "kernels/flip_impl.h"

namespace unet3d::gpu {

void flip(const Tensor& x, Tensor& y, unsigned axes) {
  with_element_bits(x.dtype(), [&](auto e) {
    using E = decltype(e);
    flip_impl::flip<Exec>(static_cast<const E*>(x.data()), static_cast<E*>(y.data()), x.shape(),
                          axes);
  });
}

}  // namespace unet3d::gpu
