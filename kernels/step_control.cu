// The step's bookkeeping: the GPU instantiations of the entry points (step_control_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/step_control_impl.h"

UNET3D_STEP_CONTROL_ENTRIES(UNET3D_GPU_HERE)
