// Softmax: argument checks, dispatch, and the CPU instantiations.
#include "kernels/softmax.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/softmax_impl.h"

namespace unet3d {

UNET3D_SOFTMAX_ENTRIES(UNET3D_GPU_ELSEWHERE)

void softmax_forward(const SoftmaxForwardArgs& a) {
  check_same_layout("softmax_forward", {&a.z, &a.p});
  UNET3D_RUN_FLOAT(a.z, softmax_forward, a);
}

}  // namespace unet3d
