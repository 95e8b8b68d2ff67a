// MaxPool3d on CUDA: pool_impl.h with the CUDA loops.
#include "kernels/exec_gpu.cuh"
#include "kernels/pool.h"
#include "kernels/pool_impl.h"

namespace unet3d::gpu {
#include "kernels/pool_backend.inc"
}  // namespace unet3d::gpu
