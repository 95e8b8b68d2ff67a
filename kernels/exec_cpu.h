// The CPU backend's execution policy, Exec<OnCpu>, that the kernel families' entry points
// (kernels/*_impl.h) are instantiated with; exec_gpu.cuh holds its CUDA twin.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/backend.h"
#include "kernels/channel_reduce_cpu.h"
#include "kernels/check.h"
#include "runtime/tensor.h"

namespace unet3d {

template <>
struct StorageOf<OnCpu, DType::f16> {
  using type = Half;
};
template <>
struct StorageOf<OnCpu, DType::f64> {
  using type = double;
};

template <>
struct Exec<OnCpu> {
  // body(i) for i in [0, n), in parallel.
  template <class Body>
  static void for_each(std::int64_t n, Body body) {
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) body(i);
  }

  // body(run, first, end) covers elements [first, end) of each run in [0, runs) of `length`
  // elements: here each run whole in one call, so that what the body derives from `run` is
  // computed once per run, not per element.
  // Where a vectorised version of the body exists (cpu_fast_path(body, runs), found beside the
  // body's family, as in batchnorm_cpu.h), it runs instead, given the whole body.
  template <class Body>
  static void for_each_run(std::int64_t runs, std::int64_t length, Body body) {
    if constexpr (requires { cpu_fast_path(body, runs); }) {
      cpu_fast_path(body, runs);
    } else {
#pragma omp parallel for schedule(static)
      for (std::int64_t r = 0; r < runs; ++r) body(r, std::int64_t{0}, length);
    }
  }

  template <int Q, class Term>
  static double* channel_sums(std::int64_t rows, std::int64_t channels, const Term& term) {
    return cpu::channel_sums<Q>(rows, channels, term);
  }

  // One memcpy per thread: a single thread does not reach the memory bandwidth of the machine.
  static void copy_bytes(void* dst, const void* src, std::size_t bytes) {
    constexpr std::int64_t kChunk = std::int64_t{1} << 20;
    const auto* from = static_cast<const char*>(src);
    auto* to = static_cast<char*>(dst);
    const auto total = static_cast<std::int64_t>(bytes);
#pragma omp parallel for schedule(static)
    for (std::int64_t first = 0; first < total; first += kChunk)
      std::memcpy(to + first, from + first,
                  static_cast<std::size_t>(std::min(kChunk, total - first)));
  }

  // Calls fn(S{}) with S the storage type of t's floating dtype (f16 is computed in f32).
  template <class Fn>
  static void with_storage_type(const char* op, const Tensor& t, Fn&& fn) {
    switch (t.dtype()) {
      case DType::f16: return fn(Half{});
      case DType::f32: return fn(float{});
      case DType::f64: return fn(double{});
      default: unsupported_dtype(op, t);
    }
  }
};

}  // namespace unet3d
