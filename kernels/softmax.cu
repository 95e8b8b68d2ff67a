// Softmax: the GPU instantiations of the entry points (softmax_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/softmax_impl.h"

UNET3D_SOFTMAX_ENTRIES(UNET3D_GPU_HERE)
