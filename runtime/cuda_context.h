// The CUDA backend's per-process context (one device at a time): the stream every kernel and
// library call runs on, the cuDNN and cuBLAS handles bound to it, a grow-only workspace for
// cuDNN, and a small fixed scratch for reductions' partial sums.
#pragma once

#include <cstddef>

#include "runtime/buffer.h"
#include "runtime/cuda_check.h"

namespace unet3d::gpu {

class Context {
 public:
  // Partial sums a reduction may write (one per block of its first pass).
  static constexpr int kReductionSlots = 1024;

  // Created on first use; a usage Error where there is no GPU.
  static Context& get();

  cudaStream_t stream() const { return stream_; }
  cudnnHandle_t cudnn() const { return cudnn_; }
  cublasHandle_t cublas() const { return cublas_; }
  // At least `bytes` of device scratch, reallocated only when a larger size is first asked for
  // (that happens while a model plans its shapes, not in its training step).
  void* workspace(std::size_t bytes);
  double* reduction_scratch() const { return static_cast<double*>(reduction_scratch_.data()); }

  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

 private:
  Context();
  ~Context();

  cudaStream_t stream_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  Buffer workspace_;
  Buffer reduction_scratch_;
};

inline cudaStream_t stream() {
  return Context::get().stream();
}

}  // namespace unet3d::gpu
