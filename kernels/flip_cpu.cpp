// Flips on the CPU: flip_impl.h with the CPU loops.
#include "kernels/exec_cpu.h"
#include "kernels/flip_impl.h"

namespace unet3d::cpu {
#include "kernels/flip_backend.inc"
}  // namespace unet3d::cpu
