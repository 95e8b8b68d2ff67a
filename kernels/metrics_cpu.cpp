// Argmax and Dice counts on the CPU: metrics_impl.h with the CPU loops.
#include "kernels/exec_cpu.h"
#include "kernels/metrics.h"
#include "kernels/metrics_impl.h"

namespace unet3d::cpu {
#include "kernels/metrics_backend.inc"
}  // namespace unet3d::cpu
