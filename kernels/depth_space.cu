// Block moves between channels and space: the GPU instantiations of the entry points
// (depth_space_impl.h).
#include "kernels/depth_space_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_GPU_INSTANCE(unet3d::backend::depth_to_space);
UNET3D_GPU_INSTANCE(unet3d::backend::space_to_depth);
