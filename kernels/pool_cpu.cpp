// MaxPool3d on the CPU: pool_impl.h with the CPU loops.
#include "kernels/exec_cpu.h"
#include "kernels/pool.h"
#include "kernels/pool_impl.h"

namespace unet3d::cpu {
#include "kernels/pool_backend.inc"
}  // namespace unet3d::cpu
