// Channel concatenation and split on the CPU: channels_impl.h with the CPU loops.
#include "kernels/channels.h"
#include "kernels/channels_impl.h"
#include "kernels/exec_cpu.h"

namespace unet3d::cpu {
#include "kernels/channels_backend.inc"
}  // namespace unet3d::cpu
