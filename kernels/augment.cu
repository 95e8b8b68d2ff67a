// The augmentation kernels: the GPU instantiations of the entry points (augment_impl.h).
#include "kernels/augment_impl.h"
#include "kernels/exec_gpu.cuh"

UNET3D_GPU_INSTANCE(unet3d::backend::affine_resample);
UNET3D_GPU_INSTANCE(unet3d::backend::add_gaussian_noise);
UNET3D_GPU_INSTANCE(unet3d::backend::gaussian_blur);
UNET3D_GPU_INSTANCE(unet3d::backend::intensity_statistics);
UNET3D_GPU_INSTANCE(unet3d::backend::adjust_contrast);
UNET3D_GPU_INSTANCE(unet3d::backend::adjust_gamma);
