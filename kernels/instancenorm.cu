// InstanceNorm3d: the GPU instantiations of the entry points (instancenorm_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/instancenorm_impl.h"

UNET3D_INSTANCENORM_ENTRIES(UNET3D_GPU_HERE)
