// Resizing: the GPU instantiations of the entry points (resize_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/resize_impl.h"

UNET3D_RESIZE_ENTRIES(UNET3D_GPU_HERE)
