// GEMM on CUDA through cuBLAS (gemm_cublas.cpp), for gemm.cpp's dispatch; kernels/gemm.h states
// the arguments.
#pragma once

#include "kernels/gemm.h"

namespace unet3d::gpu {

void gemm(const GemmProblem& p, double alpha, GemmOperand a, GemmOperand b, double beta, void* c);

}  // namespace unet3d::gpu
