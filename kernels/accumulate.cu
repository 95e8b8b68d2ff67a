// Bias and gradient accumulation on CUDA: accumulate_impl.h with the CUDA loops.
#include "kernels/accumulate.h"
#include "kernels/accumulate_impl.h"
#include "kernels/exec_gpu.cuh"

namespace unet3d::gpu {
#include "kernels/accumulate_backend.inc"
}  // namespace unet3d::gpu
