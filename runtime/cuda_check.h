// Checks for every CUDA, cuDNN and cuBLAS call (CUDA backend only). A failure throws a runtime
// Error with the call's text, the library's message, the file and the line. Every kernel launch
// is followed by UNET3D_CHECK_LAUNCH(), which catches bad launch configurations at once.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace unet3d::gpu {

void check_cuda(cudaError_t status, const char* call, const char* file, int line);
void check_cudnn(cudnnStatus_t status, const char* call, const char* file, int line);
void check_cublas(cublasStatus_t status, const char* call, const char* file, int line);

}  // namespace unet3d::gpu

#define UNET3D_CUDA_CHECK(call) ::unet3d::gpu::check_cuda((call), #call, __FILE__, __LINE__)
#define UNET3D_CUDNN_CHECK(call) ::unet3d::gpu::check_cudnn((call), #call, __FILE__, __LINE__)
#define UNET3D_CUBLAS_CHECK(call) ::unet3d::gpu::check_cublas((call), #call, __FILE__, __LINE__)
#define UNET3D_CHECK_LAUNCH() \
  ::unet3d::gpu::check_cuda(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)
