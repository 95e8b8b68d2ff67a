// The CPU backend's loops, as the execution policy that shared kernel implementations
// (kernels/*_impl.h) are instantiated with; gpu::Exec (exec_gpu.cuh) is its CUDA twin.
#pragma once

#include <cstdint>

#include "kernels/channel_reduce_cpu.h"
#include "kernels/check.h"
#include "runtime/tensor.h"

namespace unet3d::cpu {

// The f16 storage type of this backend.
using HalfStorage = Half;

struct Exec {
  // body(i) for i in [0, n), in parallel.
  template <class Body>
  static void for_each(std::int64_t n, Body body) {
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) body(i);
  }

  template <int Q, class Term>
  static double* channel_sums(std::int64_t rows, std::int64_t channels, const Term& term) {
    return cpu::channel_sums<Q>(rows, channels, term);
  }
};

// Calls fn(S{}) with S the CPU storage type of t's floating dtype (f16 is computed in f32).
template <class Fn>
void with_storage_type(const char* op, const Tensor& t, Fn&& fn) {
  switch (t.dtype()) {
    case DType::f16: return fn(Half{});
    case DType::f32: return fn(float{});
    case DType::f64: return fn(double{});
    default: unsupported_dtype(op, t);
  }
}

}  // namespace unet3d::cpu
