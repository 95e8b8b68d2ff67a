// Channel concatenation and split: the GPU instantiations of the entry points (channels_impl.h).
#include "kernels/channels_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_GPU_INSTANCE(unet3d::backend::concat_channels);
UNET3D_GPU_INSTANCE(unet3d::backend::split_channels);
UNET3D_GPU_INSTANCE(unet3d::backend::pad_channels);
UNET3D_GPU_INSTANCE(unet3d::backend::crop_channels);
