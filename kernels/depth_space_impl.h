// Block moves between channels and space written once against an execution policy; each
// output element reads exactly one input element.
#pragma once

#include <cstdint>

#include "kernels/indexing.h"
#include "kernels/numeric.h"
#include "runtime/shape.h"

namespace unet3d::depth_space_impl {

// The index in the blocked tensor t ([N, D, H, W, 8*O]) of the spatial tensor's element i
// ([N, 2D, 2H, 2W, O]).
UNET3D_HD inline std::int64_t blocked_index(std::int64_t i, const IndexMap& map) {
  const Shape& space = map.shape;
  const Coordinates k = map.coordinates(i);
  const std::int64_t block = (k.d & 1) * 4 + (k.h & 1) * 2 + (k.w & 1);
  const Shape blocks{space.n, space.d / 2, space.h / 2, space.w / 2, 8 * space.c};
  return flat_index(blocks, k.n, k.d / 2, k.h / 2, k.w / 2, block * space.c + k.c);
}

template <class Exec, class S>
void depth_to_space(const S* t, const S* bias, S* y, Shape space) {
  const IndexMap map(space);
  const IndexDivider channels = index_divider(space.c, space.numel());
  Exec::for_each(space.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    auto v = load(&t[blocked_index(i, map)]);
    if (bias) v += load(&bias[channels.remainder(i)]);
    store(&y[i], v);
  });
}

template <class Exec, class S>
void space_to_depth(const S* y, S* t, Shape space) {
  const IndexMap map(space);
  Exec::for_each(space.numel(),
                 [=] UNET3D_HD_LAMBDA(std::int64_t i) { t[blocked_index(i, map)] = y[i]; });
}

}  // namespace unet3d::depth_space_impl
