// MaxPool3d: the GPU instantiations of the entry points (pool_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/pool_impl.h"

UNET3D_POOL_ENTRIES(UNET3D_GPU_HERE)
