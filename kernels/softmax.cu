// Softmax on CUDA: softmax_impl.h with the CUDA loops.
#include "kernels/exec_gpu.cuh"
#include "kernels/softmax.h"
#include "kernels/softmax_impl.h"

namespace unet3d::gpu {
#include "kernels/softmax_backend.inc"
}  // namespace unet3d::gpu
