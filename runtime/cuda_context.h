// The CUDA backend's per-process context (one device at a time): the stream every kernel and
// library call runs on, the cuDNN and cuBLAS handles bound to it, a grow-only workspace for
// cuDNN and cuBLAS, and a grow-only scratch for the hand-written kernels' partial results.
#pragma once

#include <cstddef>

#include "runtime/buffer.h"
#include "runtime/cuda_check.h"
#include "runtime/dtype.h"

namespace unet3d::gpu {

class Context {
 public:
  // Created on first use; a usage Error where there is no GPU.
  static Context& get();

  cudaStream_t stream() const { return stream_; }
  cudnnHandle_t cudnn() const { return cudnn_; }
  cublasHandle_t cublas() const { return cublas_; }
  // At least `bytes` of device scratch, reallocated only when a larger size is first asked for
  // (that happens while a model plans its shapes, not in its training step).
  void* workspace(std::size_t bytes);
  // The same contract, a separate buffer: a kernel's partial sums never overwrite a library
  // call's workspace, nor the reverse.
  void* scratch(std::size_t bytes);

  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

 private:
  Context();

  cudaStream_t stream_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  Buffer workspace_;
  Buffer scratch_;
};

inline cudaStream_t stream() {
  return Context::get().stream();
}

// Whether `t` is f16 rather than f32, the two dtypes this project hands cuDNN and cuBLAS; any
// other is a usage Error naming `op`.
bool is_f16_not_f32(DType t, const char* op);

}  // namespace unet3d::gpu
