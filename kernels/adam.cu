// The Adam update on CUDA: adam_impl.h with the CUDA loops.
#include "kernels/adam.h"
#include "kernels/adam_impl.h"
#include "kernels/exec_gpu.cuh"

namespace unet3d::gpu {
#include "kernels/adam_backend.inc"
}  // namespace unet3d::gpu
