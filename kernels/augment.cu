// The augmentation kernels: the GPU instantiations of the entry points (augment_impl.h).
#include "kernels/augment_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_AUGMENT_ENTRIES(UNET3D_GPU_HERE)
