// Resizing: the GPU instantiations of the entry points (resize_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/resize_impl.h"

UNET3D_GPU_INSTANCE(unet3d::backend::resize_trilinear);
UNET3D_GPU_INSTANCE(unet3d::backend::resize_nearest);
UNET3D_GPU_INSTANCE(unet3d::backend::resize_trilinear_argmax);
