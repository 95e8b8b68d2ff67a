// Block moves between channels and space written once against an execution policy; each
// output element reads exactly one input element.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/depth_space.h"
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

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On>
void depth_to_space2(const Tensor& t, const Tensor* bias, Tensor& y) {
  Exec<On>::with_storage_type("depth_to_space2", y, [&](auto s) {
    using S = decltype(s);
    depth_space_impl::depth_to_space<Exec<On>>(
        typed(s, t), bias ? static_cast<const S*>(bias->data()) : nullptr, typed(s, y), y.shape());
  });
}

template <class On>
void space_to_depth2(const Tensor& y, Tensor& t) {
  Exec<On>::with_storage_type("space_to_depth2", y, [&](auto s) {
    depth_space_impl::space_to_depth<Exec<On>>(typed(s, y), typed(s, t), y.shape());
  });
}

}  // namespace unet3d::backend
