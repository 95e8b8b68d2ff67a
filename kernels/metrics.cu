// Argmax and Dice counts: the GPU instantiations of the entry points (metrics_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/metrics_impl.h"

UNET3D_GPU_INSTANCE(unet3d::backend::argmax_channels);
UNET3D_GPU_INSTANCE(unet3d::backend::dice_counts);
