// BatchNorm3d: the GPU instantiations of the entry points (batchnorm_impl.h).
#include "kernels/batchnorm_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_GPU_INSTANCE(unet3d::backend::batchnorm_forward_train);
UNET3D_GPU_INSTANCE(unet3d::backend::batchnorm_forward_eval);
UNET3D_GPU_INSTANCE(unet3d::backend::batchnorm_backward);
