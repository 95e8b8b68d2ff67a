// Channel concatenation and split on CUDA: channels_impl.h with the CUDA loops.
#include "kernels/channels.h"
#include "kernels/channels_impl.h"
#include "kernels/exec_gpu.cuh"

namespace unet3d::gpu {
#include "kernels/channels_backend.inc"
}  // namespace unet3d::gpu
