// The SGD update: the GPU instantiations of the entry points (sgd_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/sgd_impl.h"

UNET3D_SGD_ENTRIES(UNET3D_GPU_HERE)
