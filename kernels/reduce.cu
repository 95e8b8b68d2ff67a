// Reductions: the GPU instantiations of the entry points (reduce_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/reduce_impl.h"

UNET3D_GPU_INSTANCE(unet3d::backend::sum);
UNET3D_GPU_INSTANCE(unet3d::backend::sum_of_squares);
UNET3D_GPU_INSTANCE(unet3d::backend::count_nonfinite);
