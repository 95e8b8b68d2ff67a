// Channel concatenation and split: the GPU instantiations of the entry points (channels_impl.h).
#include "kernels/channels_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_CHANNELS_ENTRIES(UNET3D_GPU_HERE)
