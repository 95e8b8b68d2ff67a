// Bias and gradient accumulation on the CPU: accumulate_impl.h with the CPU loops.
#include "kernels/accumulate.h"
#include "kernels/accumulate_impl.h"
#include "kernels/exec_cpu.h"

namespace unet3d::cpu {
#include "kernels/accumulate_backend.inc"
}  // namespace unet3d::cpu
