// The Adam update: the GPU instantiations of the entry points (adam_impl.h).
#include "kernels/adam_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_ADAM_ENTRIES(UNET3D_GPU_HERE)
