// The two backends as tag types. A kernel family's entry points are templates over them, written
// once in foo_impl.h with their dtype dispatch; foo.cpp checks the arguments, dispatches, and
// instantiates the entry points for the CPU; foo.cu instantiates them for the GPU, one line each.
// Exec<On> is a backend's execution policy (loops, per-channel sums, storage types): exec_cpu.h
// and exec_gpu.cuh define it; here it is only declared, so that plain C++ can name the GPU
// instantiations without seeing CUDA.
#pragma once

#include "runtime/tensor.h"
#include "unet3d/build_config.h"

namespace unet3d {

struct OnCpu;
struct OnGpu;
template <class On>
struct Exec;

// The default storage type of an entry point that takes tensors whole into its body: called so,
// it finds the storage type of its tensors' dtype and calls itself with it (nvcc forbids the
// kernels' lambdas inside the dispatching generic lambda, not in a function it calls).
struct DispatchDtype;

// A tensor's data as the type of tag `s` (the storage or element type a dispatch handed its
// lambda): typed(s, x) for a read-only input, typed(s, y) for an output.
template <class S>
const S* typed(S, const Tensor& t) {
  return static_cast<const S*>(t.data());
}
template <class S>
S* typed(S, Tensor& t) {
  return static_cast<S*>(t.data());
}

}  // namespace unet3d

// In foo.cpp, once per entry point: its GPU instantiation is compiled in foo.cu, not here.
#define UNET3D_GPU_INSTANCE_ELSEWHERE(entry) \
  extern template decltype(entry<::unet3d::OnGpu>) entry<::unet3d::OnGpu>

// In foo.cu, once per entry point: the GPU instantiation.
#define UNET3D_GPU_INSTANCE(entry) template decltype(entry<::unet3d::OnGpu>) entry<::unet3d::OnGpu>

// Runs entry point `entry` on the backend tensor `t` lives on, and returns from the caller.
#define UNET3D_RUN_ON_DEVICE_OF(t, entry, ...)                       \
  do {                                                               \
    if constexpr (::unet3d::kBuiltWithCuda)                          \
      if ((t).is_cuda()) return entry<::unet3d::OnGpu>(__VA_ARGS__); \
    return entry<::unet3d::OnCpu>(__VA_ARGS__);                      \
  } while (0)
