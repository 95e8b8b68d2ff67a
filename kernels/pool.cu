// MaxPool3d: the GPU instantiations of the entry points (pool_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/pool_impl.h"

UNET3D_GPU_INSTANCE(unet3d::backend::maxpool_forward);
UNET3D_GPU_INSTANCE(unet3d::backend::maxpool_backward);
