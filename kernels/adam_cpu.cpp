// The Adam update on the CPU: adam_impl.h with the CPU loops.
#include "kernels/adam.h"
#include "kernels/adam_impl.h"
#include "kernels/exec_cpu.h"

namespace unet3d::cpu {
#include "kernels/adam_backend.inc"
}  // namespace unet3d::cpu
