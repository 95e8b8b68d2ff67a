// Argmax and Dice counts: the GPU instantiations of the entry points (metrics_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/metrics_impl.h"

UNET3D_METRICS_ENTRIES(UNET3D_GPU_HERE)
