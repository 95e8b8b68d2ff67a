// A deliberately wrong CUDA kernel, for proving that the parity helper catches it.
#include "kernels/elementwise_impl.h"
#include "kernels/launch.cuh"
#include "tests/gpu/faulty_kernel.h"

namespace unet3d::testing {

void relu_forward_skipping_last(const Tensor& x, Tensor& y) {
  const float* px = static_cast<const float*>(x.data());
  float* py = static_cast<float*>(y.data());
  gpu::for_each_index(x.numel() - 1,
                      [=] __device__(std::int64_t i) { py[i] = ops::Relu{}(px[i]); });
}

}  // namespace unet3d::testing
