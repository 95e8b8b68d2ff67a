// Block moves between channels and space on the CPU: depth_space_impl.h with the CPU loops.
#include "kernels/depth_space.h"
#include "kernels/depth_space_impl.h"
#include "kernels/exec_cpu.h"

namespace unet3d::cpu {
#include "kernels/depth_space_backend.inc"
}  // namespace unet3d::cpu
