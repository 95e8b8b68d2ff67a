// BatchNorm3d on CUDA: batchnorm_impl.h with the CUDA loops.
#include "kernels/batchnorm_impl.h"
#include "kernels/exec_gpu.cuh"

namespace unet3d::gpu {
#include "kernels/batchnorm_backend.inc"
}  // namespace unet3d::gpu
