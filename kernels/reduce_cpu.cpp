// CPU reference of the reductions: fixed-size chunks summed in parallel, then the chunk sums
// added in chunk order, so the result does not depend on the thread count.
#include <vector>

#include "kernels/check.h"
#include "kernels/reduce.h"
#include "runtime/half.h"

namespace unet3d::cpu {
namespace {

constexpr std::int64_t kChunk = 1 << 14;

template <bool kSquare, class T, class Load>
double chunked_sum(const T* x, std::int64_t n, Load load) {
  const std::int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<std::size_t>(chunks));
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t end = std::min(n, (c + 1) * kChunk);
    double acc = 0;
    for (std::int64_t i = c * kChunk; i < end; ++i) {
      const double v = load(x[i]);
      acc += kSquare ? v * v : v;
    }
    partial[static_cast<std::size_t>(c)] = acc;
  }
  double total = 0;
  for (double p : partial) total += p;
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
