// The two backends as tag types, and how a kernel family reaches them. A family's entry point
// takes one argument struct, declared once in foo.h; foo.cpp checks it and runs
// backend::foo<On, D>(args) (or backend::foo<On>(args) where the entry point finds its own
// dtypes) for the backend and dtype of the tensor that selects them; foo_impl.h writes
// backend::foo once for both backends against Exec<On>, the backend's execution policy (loops,
// per-channel sums, storage types), which exec_cpu.h and exec_gpu.cuh define. Here Exec is only
// declared, so that plain C++ can name the GPU instantiations without seeing CUDA; foo.cu
// compiles them from the family's one list of entry points.
#pragma once

#include "kernels/check.h"
#include "runtime/tensor.h"
#include "unet3d/build_config.h"

namespace unet3d {

struct OnCpu;
struct OnGpu;
template <class On>
struct Exec;

// The element type backend On stores floating dtype D as (f16 is computed in f32): f32 as float
// here, f16 (and the CPU's f64) in exec_cpu.h and exec_gpu.cuh.
template <class On, DType D>
struct StorageOf;
template <class On>
struct StorageOf<On, DType::f32> {
  using type = float;
};
template <class On, DType D>
using storage_t = typename StorageOf<On, D>::type;

// A tensor's data as the type of tag `s` (the storage or element type a dispatch handed its
// lambda, or storage_t's): typed(s, x) for a read-only input, typed(s, y) for an output.
template <class S>
const S* typed(S, const Tensor& t) {
  return static_cast<const S*>(t.data());
}
template <class S>
S* typed(S, Tensor& t) {
  return static_cast<S*>(t.data());
}

}  // namespace unet3d

// A family lists its entry points once, in foo_impl.h, as UNET3D_FOO_ENTRIES(X) expanding to
// X(FLOAT, foo) for an entry point typed on a floating dtype (f16 and f32 on the GPU) and
// X(PLAIN, foo) for one that finds its own dtypes. foo.cpp expands the list with
// UNET3D_GPU_ELSEWHERE (the GPU instantiations are compiled elsewhere), foo.cu with
// UNET3D_GPU_HERE (compiled here).
#define UNET3D_GPU_ELSEWHERE(kind, entry) UNET3D_##kind##_ELSEWHERE(entry)
#define UNET3D_GPU_HERE(kind, entry) UNET3D_##kind##_HERE(entry)
// (No leading :: on the declarator: after decltype(...) it would read as a member of its type.)
#define UNET3D_PLAIN_ELSEWHERE(entry)                             \
  extern template decltype(unet3d::backend::entry<unet3d::OnGpu>) \
      unet3d::backend::entry<unet3d::OnGpu>;
#define UNET3D_PLAIN_HERE(entry) \
  template decltype(unet3d::backend::entry<unet3d::OnGpu>) unet3d::backend::entry<unet3d::OnGpu>;
#define UNET3D_FLOAT_ELSEWHERE(entry)                                                 \
  extern template decltype(unet3d::backend::entry<unet3d::OnGpu, unet3d::DType::f16>) \
      unet3d::backend::entry<unet3d::OnGpu, unet3d::DType::f16>;                      \
  extern template decltype(unet3d::backend::entry<unet3d::OnGpu, unet3d::DType::f32>) \
      unet3d::backend::entry<unet3d::OnGpu, unet3d::DType::f32>;
#define UNET3D_FLOAT_HERE(entry)                                               \
  template decltype(unet3d::backend::entry<unet3d::OnGpu, unet3d::DType::f16>) \
      unet3d::backend::entry<unet3d::OnGpu, unet3d::DType::f16>;               \
  template decltype(unet3d::backend::entry<unet3d::OnGpu, unet3d::DType::f32>) \
      unet3d::backend::entry<unet3d::OnGpu, unet3d::DType::f32>;

// Runs backend::entry<On>(args...) on the backend tensor `t` lives on, and returns from the
// caller.
#define UNET3D_RUN_ON_DEVICE_OF(t, entry, ...)                                          \
  do {                                                                                  \
    if constexpr (::unet3d::kBuiltWithCuda)                                             \
      if ((t).is_cuda()) return ::unet3d::backend::entry<::unet3d::OnGpu>(__VA_ARGS__); \
    return ::unet3d::backend::entry<::unet3d::OnCpu>(__VA_ARGS__);                      \
  } while (0)

// Runs backend::entry<On, D>(args...) for the backend `t` lives on and its floating dtype D (f16
// and f32 on both backends, f64 on the CPU alone), and returns from the caller.
#define UNET3D_RUN_FLOAT(t, entry, ...)                                              \
  do {                                                                               \
    using ::unet3d::DType;                                                           \
    const DType dtype_ = (t).dtype();                                                \
    if constexpr (::unet3d::kBuiltWithCuda)                                          \
      if ((t).is_cuda()) {                                                           \
        if (dtype_ == DType::f16)                                                    \
          return ::unet3d::backend::entry<::unet3d::OnGpu, DType::f16>(__VA_ARGS__); \
        if (dtype_ == DType::f32)                                                    \
          return ::unet3d::backend::entry<::unet3d::OnGpu, DType::f32>(__VA_ARGS__); \
        ::unet3d::unsupported_dtype(#entry, t);                                      \
      }                                                                              \
    if (dtype_ == DType::f16)                                                        \
      return ::unet3d::backend::entry<::unet3d::OnCpu, DType::f16>(__VA_ARGS__);     \
    if (dtype_ == DType::f32)                                                        \
      return ::unet3d::backend::entry<::unet3d::OnCpu, DType::f32>(__VA_ARGS__);     \
    if (dtype_ == DType::f64)                                                        \
      return ::unet3d::backend::entry<::unet3d::OnCpu, DType::f64>(__VA_ARGS__);     \
    ::unet3d::unsupported_dtype(#entry, t);                                          \
  } while (0)
