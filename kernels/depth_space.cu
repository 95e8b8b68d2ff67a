// Block moves between channels and space on CUDA: depth_space_impl.h with the CUDA loops.
#include "kernels/depth_space.h"
#include "kernels/depth_space_impl.h"
#include "kernels/exec_gpu.cuh"

namespace unet3d::gpu {

void depth_to_space2(const Tensor& t, const Tensor* bias, Tensor& y) {
  with_storage_type("depth_to_space2", y, [&](auto s) {
    using S = decltype(s);
    depth_space_impl::depth_to_space<Exec>(static_cast<const S*>(t.data()),
                                           bias ? static_cast<const S*>(bias->data()) : nullptr,
                                           static_cast<S*>(y.data()), y.shape());
  });
}

void space_to_depth2(const Tensor& y, Tensor& t) {
  with_storage_type("space_to_depth2", y, [&](auto s) {
    using S = decltype(s);
    depth_space_impl::space_to_depth<Exec>(static_cast<const S*>(y.data()),
                                           static_cast<S*>(t.data()), y.shape());
  });
}

}  // namespace unet3d::gpu
