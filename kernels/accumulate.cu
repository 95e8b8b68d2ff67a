// Bias and gradient accumulation: the GPU instantiations of the entry points (accumulate_impl.h).
#include "kernels/accumulate_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_GPU_INSTANCE(unet3d::backend::add_channel_bias);
UNET3D_GPU_INSTANCE(unet3d::backend::accumulate_channel_sums);
UNET3D_GPU_INSTANCE(unet3d::backend::accumulate_into);
