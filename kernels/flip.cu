// Flips: the GPU instantiations of the entry points (flip_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/flip_impl.h"

UNET3D_GPU_INSTANCE(unet3d::backend::flip);
