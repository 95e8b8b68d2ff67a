// Softmax: argument checks, dispatch, and the CPU instantiations.
#include "kernels/softmax.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/softmax_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::softmax_forward);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::softmax_backward);

void softmax_forward(const Tensor& z, Tensor& p) {
  check_same_layout("softmax_forward", {&z, &p});
  UNET3D_RUN_ON_DEVICE_OF(z, backend::softmax_forward, z, p);
}

void softmax_backward(const Tensor& p, const Tensor& dp, Tensor& dz) {
  check_same_layout("softmax_backward", {&p, &dp, &dz});
  UNET3D_RUN_ON_DEVICE_OF(p, backend::softmax_backward, p, dp, dz);
}

}  // namespace unet3d
