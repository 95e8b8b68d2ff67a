// The step's bookkeeping: the GPU instantiations of the entry points (step_control_impl.h).
#include "kernels/exec_gpu.cuh"
#include "kernels/step_control_impl.h"

UNET3D_GPU_INSTANCE(unet3d::backend::begin_step);
UNET3D_GPU_INSTANCE(unet3d::backend::end_step);
