// Flips on CUDA: flip_impl.h with the CUDA loops.
#include "kernels/exec_gpu.cuh"
#include "kernels/flip_impl.h"

namespace unet3d::gpu {
#include "kernels/flip_backend.inc"
}  // namespace unet3d::gpu
