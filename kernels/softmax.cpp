// Softmax: argument checks, dispatch, and the CPU instantiations.
#include "kernels/softmax.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/softmax_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::softmax_forward);

void softmax_forward(const Tensor& z, Tensor& p) {
  check_same_layout("softmax_forward", {&z, &p});
  UNET3D_RUN_ON_DEVICE_OF(z, backend::softmax_forward, z, p);
}

}  // namespace unet3d
