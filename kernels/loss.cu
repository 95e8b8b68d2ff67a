// The losses: the GPU instantiations of the entry points (loss_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/loss_impl.h"

UNET3D_GPU_INSTANCE(unet3d::backend::dice_loss);
UNET3D_GPU_INSTANCE(unet3d::backend::cross_entropy);
UNET3D_GPU_INSTANCE(unet3d::backend::combine_loss_terms);
UNET3D_GPU_INSTANCE(unet3d::backend::tally_loss);
UNET3D_GPU_INSTANCE(unet3d::backend::mark_loss_step);
