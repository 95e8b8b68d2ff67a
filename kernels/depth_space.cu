// Block moves between channels and space on CUDA: depth_space_impl.h with the CUDA loops.
#include "kernels/depth_space.h"
#include "kernels/depth_space_impl.h"
#include "kernels/exec_gpu.cuh"

namespace unet3d::gpu {
#include "kernels/depth_space_backend.inc"
}  // namespace unet3d::gpu
