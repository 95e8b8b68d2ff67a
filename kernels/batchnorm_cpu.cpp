// BatchNorm3d on the CPU: batchnorm_impl.h with the CPU loops.
#include "kernels/batchnorm_impl.h"
#include "kernels/exec_cpu.h"

namespace unet3d::cpu {
#include "kernels/batchnorm_backend.inc"
}  // namespace unet3d::cpu
