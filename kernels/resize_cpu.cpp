// Resizing on the CPU: resize_impl.h with the CPU loops.
#include "kernels/exec_cpu.h"
#include "kernels/resize.h"
#include "kernels/resize_impl.h"

namespace unet3d::cpu {
#include "kernels/resize_backend.inc"
}  // namespace unet3d::cpu
