// Softmax on the CPU: softmax_impl.h with the CPU loops.
#include "kernels/exec_cpu.h"
#include "kernels/softmax.h"
#include "kernels/softmax_impl.h"

namespace unet3d::cpu {
#include "kernels/softmax_backend.inc"
}  // namespace unet3d::cpu
