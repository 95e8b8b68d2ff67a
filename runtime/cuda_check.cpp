// Turning CUDA, cuDNN and cuBLAS status codes into Errors.
#include "runtime/cuda_check.h"

#include "runtime/error.h"

namespace unet3d::gpu {

void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  throw_error(
      ErrorKind::runtime,
      concat(call, " failed: ", cudaGetErrorString(status), " (", cudaGetErrorName(status), ")"),
      file, line);
}

void check_cudnn(cudnnStatus_t status, const char* call, const char* file, int line) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  throw_error(ErrorKind::runtime, concat(call, " failed: ", cudnnGetErrorString(status)), file,
              line);
}

void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw_error(ErrorKind::runtime,
              concat(call, " failed: ", cublasGetStatusString(status), " (",
                     cublasGetStatusName(status), ")"),
              file, line);
}

}  // namespace unet3d::gpu
