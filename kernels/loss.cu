// The losses on CUDA: loss_impl.h with the CUDA loops.
#include "kernels/exec_gpu.cuh"
#include "kernels/loss_impl.h"

namespace unet3d::gpu {
#include "kernels/loss_backend.inc"
}  // namespace unet3d::gpu
