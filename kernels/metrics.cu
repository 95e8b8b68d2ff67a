// Argmax and Dice counts on CUDA: metrics_impl.h with the CUDA loops.
#include "kernels/exec_gpu.cuh"
#include "kernels/metrics.h"
#include "kernels/metrics_impl.h"

namespace unet3d::gpu {
#include "kernels/metrics_backend.inc"
}  // namespace unet3d::gpu
