// Block moves between channels and space written once against an execution policy; each
// output element reads exactly one input element.
#pragma once

#include <cstdint>

#include "kernels/numeric.h"
#include "runtime/shape.h"

namespace unet3d::depth_space_impl {

// The index in the blocked tensor t ([N, D, H, W, 8*O]) of the spatial tensor's element i
// ([N, 2D, 2H, 2W, O]).
UNET3D_HD inline std::int64_t blocked_index(std::int64_t i, const Shape& space) {
  const std::int64_t o = i % space.c;
  std::int64_t rest = i / space.c;
  const std::int64_t w = rest % space.w;
  rest /= space.w;
  const std::int64_t h = rest % space.h;
  rest /= space.h;
  const std::int64_t d = rest % space.d;
  const std::int64_t n = rest / space.d;
  const std::int64_t block = (d & 1) * 4 + (h & 1) * 2 + (w & 1);
  const std::int64_t cell =
      ((n * (space.d / 2) + d / 2) * (space.h / 2) + h / 2) * (space.w / 2) + w / 2;
  return cell * 8 * space.c + block * space.c + o;
}

template <class Exec, class S>
void depth_to_space(const S* t, const S* bias, S* y, Shape space) {
  Exec::for_each(space.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    auto v = load(&t[blocked_index(i, space)]);
    if (bias) v += load(&bias[i % space.c]);
    store(&y[i], v);
  });
}

template <class Exec, class S>
void space_to_depth(const S* y, S* t, Shape space) {
  Exec::for_each(space.numel(),
                 [=] UNET3D_HD_LAMBDA(std::int64_t i) { t[blocked_index(i, space)] = y[i]; });
}

}  // namespace unet3d::depth_space_impl
