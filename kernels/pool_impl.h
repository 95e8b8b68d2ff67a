// MaxPool3d(2) written once against an execution policy (cpu::Exec or gpu::Exec).
#pragma once

#include <cstdint>

#include "kernels/numeric.h"
#include "runtime/shape.h"

namespace unet3d::pool_impl {

// Offset of window corner k (0..7, d-major like PyTorch's scan) from the window's first element.
UNET3D_HD inline std::int64_t corner_offset(int k, const Shape& in) {
  return ((k >> 2) * in.h * in.w + ((k >> 1) & 1) * in.w + (k & 1)) * in.c;
}

// Index in x of the first element of output element o's window, and o's channel.
UNET3D_HD inline std::int64_t window_start(std::int64_t o, const Shape& in, const Shape& out) {
  std::int64_t rest = o;
  const std::int64_t c = rest % out.c;
  rest /= out.c;
  const std::int64_t w = rest % out.w;
  rest /= out.w;
  const std::int64_t h = rest % out.h;
  rest /= out.h;
  const std::int64_t d = rest % out.d;
  const std::int64_t n = rest / out.d;
  return (((n * in.d + 2 * d) * in.h + 2 * h) * in.w + 2 * w) * in.c + c;
}

// The corner (0..7) holding the window's first maximum; NaN wins, as in PyTorch.
template <class S>
UNET3D_HD int first_max_corner(const S* x, std::int64_t start, const Shape& in) {
  int best = 0;
  auto best_value = load(&x[start]);
  for (int k = 1; k < 8; ++k) {
    const auto v = load(&x[start + corner_offset(k, in)]);
    if (v > best_value || (v != v && best_value == best_value)) {
      best = k;
      best_value = v;
    }
  }
  return best;
}

template <class Exec, class S>
void forward(const S* x, S* y, Shape in, Shape out) {
  Exec::for_each(out.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t o) {
    const std::int64_t start = window_start(o, in, out);
    y[o] = x[start + corner_offset(first_max_corner(x, start, in), in)];
  });
}

template <class Exec, class S>
void backward(const S* x, const S* dy, S* dx, Shape in, Shape out) {
  Exec::for_each(in.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    std::int64_t rest = i / in.c;
    const std::int64_t w = rest % in.w;
    rest /= in.w;
    const std::int64_t h = rest % in.h;
    rest /= in.h;
    const std::int64_t d = rest % in.d;
    const std::int64_t n = rest / in.d;
    compute_t<S> g = 0;
    if (d / 2 < out.d && h / 2 < out.h && w / 2 < out.w) {
      const std::int64_t o =
          (((n * out.d + d / 2) * out.h + h / 2) * out.w + w / 2) * out.c + i % in.c;
      const int corner = static_cast<int>((d & 1) * 4 + (h & 1) * 2 + (w & 1));
      if (first_max_corner(x, window_start(o, in, out), in) == corner) g = load(&dy[o]);
    }
    store(&dx[i], g);
  });
}

}  // namespace unet3d::pool_impl
