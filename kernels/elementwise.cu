// Elementwise kernels: the GPU instantiations of the entry points (elementwise_impl.h).
#include "kernels/elementwise_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_ELEMENTWISE_ENTRIES(UNET3D_GPU_HERE)
