// The CUDA backend's execution policy, Exec<OnGpu>, that the kernel families' entry points
// (kernels/*_impl.h) are instantiated with in their foo.cu; exec_cpu.h holds its CPU twin.
#pragma once

#include "kernels/backend.h"
#include "kernels/channel_reduce.cuh"
#include "kernels/check.h"
#include "kernels/launch.cuh"

namespace unet3d {

template <>
struct StorageOf<OnGpu, DType::f16> {
  using type = __half;
};

template <>
struct Exec<OnGpu> {
  template <class Body>
  static void for_each(std::int64_t n, Body body) {
    gpu::for_each_index(n, body);
  }

  // body(run, first, end) covers elements [first, end) of each run in [0, runs) of `length`
  // elements: here one element per thread (launch.cuh's for_each_run_kernel, launched here so
  // that the kernel runs the body one call from the policy).
  template <class Body>
  static void for_each_run(std::int64_t runs, std::int64_t length, Body body) {
    if (runs <= 0 || length <= 0) return;
    gpu::for_each_run_kernel<<<gpu::blocks_for(runs * length), gpu::kBlock, 0, gpu::stream()>>>(
        runs, length, body);
    UNET3D_CHECK_LAUNCH();
  }

  template <int Q, class Term>
  static double* channel_sums(std::int64_t rows, std::int64_t channels, const Term& term) {
    return gpu::channel_sums<Q>(rows, channels, term);
  }

  static void copy_bytes(void* dst, const void* src, std::size_t bytes) {
    UNET3D_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, gpu::stream()));
  }

  // Calls fn(S{}) with S the device storage type of t's dtype (f16 is computed in f32). fn may
  // call templates that launch extended lambdas, but must not define one itself (nvcc forbids
  // extended lambdas inside generic lambdas).
  template <class Fn>
  static void with_storage_type(const char* op, const Tensor& t, Fn&& fn) {
    switch (t.dtype()) {
      case DType::f16: return fn(__half{});
      case DType::f32: return fn(float{});
      default: unsupported_dtype(op, t);
    }
  }
};

}  // namespace unet3d
