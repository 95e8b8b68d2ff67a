// The losses on the CPU: loss_impl.h with the CPU loops.
#include "kernels/exec_cpu.h"
#include "kernels/loss_impl.h"

namespace unet3d::cpu {
#include "kernels/loss_backend.inc"
}  // namespace unet3d::cpu
