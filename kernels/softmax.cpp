// Softmax: argument checks and dispatch.
#include "kernels/softmax.h"

#include "kernels/check.h"
#include "unet3d/build_config.h"

namespace unet3d {

void softmax_forward(const Tensor& z, Tensor& p) {
  check_same_layout("softmax_forward", {&z, &p});
  if constexpr (kBuiltWithCuda)
    if (z.is_cuda()) return gpu::softmax_forward(z, p);
  cpu::softmax_forward(z, p);
}

void softmax_backward(const Tensor& p, const Tensor& dp, Tensor& dz) {
  check_same_layout("softmax_backward", {&p, &dp, &dz});
  if constexpr (kBuiltWithCuda)
    if (p.is_cuda()) return gpu::softmax_backward(p, dp, dz);
  cpu::softmax_backward(p, dp, dz);
}

}  // namespace unet3d
