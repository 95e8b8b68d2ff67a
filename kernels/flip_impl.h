// Flips written once against an execution policy, on elements of any size (E is an unsigned
// integer type as wide as the dtype: flips move bits, they compute nothing).
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/flip.h"
#include "kernels/indexing.h"
#include "runtime/hd.h"
#include "runtime/shape.h"

namespace unet3d::flip_impl {

template <class Exec, class E>
void flip(const E* x, E* y, Shape s, unsigned axes) {
  const IndexMap map(s);
  Exec::for_each(s.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    Coordinates k = map.coordinates(i);
    if (axes & kFlipD) k.d = s.d - 1 - k.d;
    if (axes & kFlipH) k.h = s.h - 1 - k.h;
    if (axes & kFlipW) k.w = s.w - 1 - k.w;
    y[i] = x[flat_index(s, k.n, k.d, k.h, k.w, k.c)];
  });
}

}  // namespace unet3d::flip_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On>
void flip(const FlipArgs& a) {
  with_element_bits(a.x.dtype(), [&](auto e) {
    flip_impl::flip<Exec<On>>(typed(e, a.x), typed(e, a.y), a.x.shape(), a.axes);
  });
}

}  // namespace unet3d::backend

#define UNET3D_FLIP_ENTRIES(X) X(PLAIN, flip)
