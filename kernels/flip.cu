// Flips: the GPU instantiations of the entry points (flip_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/flip_impl.h"

UNET3D_FLIP_ENTRIES(UNET3D_GPU_HERE)
