// Flips written once against an execution policy, on elements of any size (E is an unsigned
// integer type as wide as the dtype: flips move bits, they compute nothing).
#pragma once

#include <cstdint>

#include "kernels/flip.h"
#include "runtime/hd.h"
#include "runtime/shape.h"

namespace unet3d::flip_impl {

template <class Exec, class E>
void flip(const E* x, E* y, Shape s, unsigned axes) {
  Exec::for_each(s.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    std::int64_t rest = i / s.c;
    std::int64_t w = rest % s.w;
    rest /= s.w;
    std::int64_t h = rest % s.h;
    rest /= s.h;
    std::int64_t d = rest % s.d;
    const std::int64_t n = rest / s.d;
    if (axes & kFlipD) d = s.d - 1 - d;
    if (axes & kFlipH) h = s.h - 1 - h;
    if (axes & kFlipW) w = s.w - 1 - w;
    y[i] = x[(((n * s.d + d) * s.h + h) * s.w + w) * s.c + i % s.c];
  });
}

}  // namespace unet3d::flip_impl
