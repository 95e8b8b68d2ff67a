// Bias and gradient accumulation: the GPU instantiations of the entry points (accumulate_impl.h).
#include "kernels/accumulate_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_ACCUMULATE_ENTRIES(UNET3D_GPU_HERE)
