// Resizing on CUDA: resize_impl.h with the CUDA loops.
#include "kernels/exec_gpu.cuh"
#include "kernels/resize.h"
#include "kernels/resize_impl.h"

namespace unet3d::gpu {
#include "kernels/resize_backend.inc"
}  // namespace unet3d::gpu
