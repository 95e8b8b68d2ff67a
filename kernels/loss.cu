// The losses: the GPU instantiations of the entry points (loss_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/loss_impl.h"

UNET3D_LOSS_ENTRIES(UNET3D_GPU_HERE)
