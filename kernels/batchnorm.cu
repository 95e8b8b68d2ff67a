// BatchNorm3d: the GPU instantiations of the entry points (batchnorm_impl.h).
#include "kernels/batchnorm_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_BATCHNORM_ENTRIES(UNET3D_GPU_HERE)
