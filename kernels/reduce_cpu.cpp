// CPU reference of the reductions: chunks summed in parallel, then the chunk sums added in
// chunk order. The chunking depends on the element count alone, so the result does not depend
// on the thread count; the partial sums live on the stack, so a reduction allocates nothing.
#include <algorithm>

#include "kernels/exec_cpu.h"
#include "kernels/numeric.h"
#include "kernels/reduce.h"
#include "kernels/reduce_ops.h"

namespace unet3d::cpu {
namespace {

constexpr std::int64_t kMinChunk = 1 << 14;
constexpr std::int64_t kMaxChunks = 256;

template <ReduceTerm K, class S>
double chunked_sum(const S* x, std::int64_t n) {
  const std::int64_t chunks =
      std::clamp<std::int64_t>((n + kMinChunk - 1) / kMinChunk, 1, kMaxChunks);
  const std::int64_t chunk = (n + chunks - 1) / chunks;
  double partial[kMaxChunks];
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t end = std::min(n, (c + 1) * chunk);
    double acc = 0;
    for (std::int64_t i = c * chunk; i < end; ++i) acc += reduce_term<K>(load(&x[i]));
    partial[c] = acc;
  }
  double total = 0;
  for (std::int64_t c = 0; c < chunks; ++c) total += partial[c];
  return total;
}

template <ReduceTerm K>
void reduce(const char* op, const Tensor& x, Tensor& out) {
  double total = 0;
  with_storage_type(op, x, [&](auto s) {
    total = chunked_sum<K>(static_cast<const decltype(s)*>(x.data()), x.numel());
  });
  if (out.dtype() == DType::f64)
    *out.data_as<double>() = total;
  else
    *out.data_as<float>() = static_cast<float>(total);
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

}  // namespace unet3d::cpu
