// CPU reference of the reductions: chunks summed in parallel, then the chunk sums added in
// chunk order. The chunking depends on the element count alone, so the result does not depend
// on the thread count; the partial sums live on the stack, so a reduction allocates nothing.
#include <algorithm>

#include "kernels/check.h"
#include "kernels/reduce.h"
#include "runtime/half.h"

namespace unet3d::cpu {
namespace {

constexpr std::int64_t kMinChunk = 1 << 14;
constexpr std::int64_t kMaxChunks = 256;

template <bool kSquare, class T, class Load>
double chunked_sum(const T* x, std::int64_t n, Load load) {
  const std::int64_t chunks =
      std::clamp<std::int64_t>((n + kMinChunk - 1) / kMinChunk, 1, kMaxChunks);
  const std::int64_t chunk = (n + chunks - 1) / chunks;
  double partial[kMaxChunks];
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t end = std::min(n, (c + 1) * chunk);
    double acc = 0;
    for (std::int64_t i = c * chunk; i < end; ++i) {
      const double v = load(x[i]);
      acc += kSquare ? v * v : v;
    }
    partial[c] = acc;
  }
  double total = 0;
  for (std::int64_t c = 0; c < chunks; ++c) total += partial[c];
  return total;
}

template <bool kSquare>
void reduce(const char* op, const Tensor& x, Tensor& out) {
  double total = 0;
  switch (x.dtype()) {
    case DType::f16:
      total = chunked_sum<kSquare>(x.data_as<Half>(), x.numel(),
                                   [](Half v) { return static_cast<double>(to_float(v)); });
      break;
    case DType::f32:
      total = chunked_sum<kSquare>(x.data_as<float>(), x.numel(),
                                   [](float v) { return static_cast<double>(v); });
      break;
    case DType::f64:
      total = chunked_sum<kSquare>(x.data_as<double>(), x.numel(), [](double v) { return v; });
      break;
    default: unsupported_dtype(op, x);
  }
  if (out.dtype() == DType::f64)
    *out.data_as<double>() = total;
  else
    *out.data_as<float>() = static_cast<float>(total);
}

}  // namespace

void sum(const Tensor& x, Tensor& out) {
  reduce<false>("sum", x, out);
}
void sum_of_squares(const Tensor& x, Tensor& out) {
  reduce<true>("sum_of_squares", x, out);
}

}  // namespace unet3d::cpu
