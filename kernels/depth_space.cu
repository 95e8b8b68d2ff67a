// Block moves between channels and space: the GPU instantiations of the entry points
// (depth_space_impl.h).
#include "kernels/depth_space_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_DEPTH_SPACE_ENTRIES(UNET3D_GPU_HERE)
