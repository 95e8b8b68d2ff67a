// Elementwise kernels: the GPU instantiations of the entry points (elementwise_impl.h).
#include "kernels/elementwise_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_GPU_INSTANCE(unet3d::backend::fill);
UNET3D_GPU_INSTANCE(unet3d::backend::fill_uniform);
UNET3D_GPU_INSTANCE(unet3d::backend::copy);
UNET3D_GPU_INSTANCE(unet3d::backend::cast);
UNET3D_GPU_INSTANCE(unet3d::backend::add);
UNET3D_GPU_INSTANCE(unet3d::backend::affine);
UNET3D_GPU_INSTANCE(unet3d::backend::clip_affine);
UNET3D_GPU_INSTANCE(unet3d::backend::relu_forward);
UNET3D_GPU_INSTANCE(unet3d::backend::relu_backward);
