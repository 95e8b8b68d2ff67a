// Reductions: the GPU instantiations of the entry points (reduce_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/reduce_impl.h"

UNET3D_REDUCE_ENTRIES(UNET3D_GPU_HERE)
