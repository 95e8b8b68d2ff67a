// CUDA reductions in two passes without atomics, so the order of additions is fixed: each block
// of the first pass sums a grid-strided share into one partial (a shared-memory tree), and one
// block adds the partials in the same tree order.
#include "kernels/check.h"
#include "kernels/launch.cuh"
#include "kernels/reduce.h"
#include "kernels/reduce_ops.h"

namespace unet3d::gpu {
namespace {

constexpr std::int64_t kMaxBlocks = 1024;  // partial sums of the first pass

// Sums the block's values in a fixed tree; the result is valid in thread 0.
__device__ double block_sum(double value) {
  __shared__ double shared[kBlock];
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int width = kBlock / 2; width > 0; width /= 2) {
    if (static_cast<int>(threadIdx.x) < width) shared[threadIdx.x] += shared[threadIdx.x + width];
    __syncthreads();
  }
  return shared[0];
}

template <ReduceTerm K, class T>
__global__ void partial_sums(const T* x, std::int64_t n, double* partials) {
  double acc = 0;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * kBlock;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kBlock + threadIdx.x; i < n;
       i += stride) {
    acc += reduce_term<K>(load(&x[i]));
  }
  const double total = block_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

template <class Out>
__global__ void sum_partials(const double* partials, int count, Out* out) {
  double acc = 0;
  for (int i = static_cast<int>(threadIdx.x); i < count; i += kBlock) acc += partials[i];
  const double total = block_sum(acc);
  if (threadIdx.x == 0) *out = static_cast<Out>(total);
}

template <ReduceTerm K, class T>
void reduce_typed(const Tensor& x, Tensor& out) {
  Context& context = Context::get();
  const std::int64_t n = x.numel();
  const int blocks =
      static_cast<int>(std::clamp<std::int64_t>((n + kBlock - 1) / kBlock, 1, kMaxBlocks));
  double* partials = static_cast<double*>(context.scratch(kMaxBlocks * sizeof(double)));
  partial_sums<K, T>
      <<<blocks, kBlock, 0, context.stream()>>>(static_cast<const T*>(x.data()), n, partials);
  UNET3D_CHECK_LAUNCH();
  if (out.dtype() == DType::f64)
    sum_partials<<<1, kBlock, 0, context.stream()>>>(partials, blocks,
                                                     static_cast<double*>(out.data()));
  else
    sum_partials<<<1, kBlock, 0, context.stream()>>>(partials, blocks,
                                                     static_cast<float*>(out.data()));
  UNET3D_CHECK_LAUNCH();
}

template <ReduceTerm K>
void reduce(const char* op, const Tensor& x, Tensor& out) {
  switch (x.dtype()) {
    case DType::f32: return reduce_typed<K, float>(x, out);
    case DType::f16: return reduce_typed<K, __half>(x, out);
    default: unsupported_dtype(op, x);
  }
}

}  // namespace

void sum(const Tensor& x, Tensor& out) {
  reduce<ReduceTerm::value>("sum", x, out);
}
void sum_of_squares(const Tensor& x, Tensor& out) {
  reduce<ReduceTerm::square>("sum_of_squares", x, out);
}
void count_nonfinite(const Tensor& x, Tensor& out) {
  reduce<ReduceTerm::nonfinite>("count_nonfinite", x, out);
}

}  // namespace unet3d::gpu
