// Block moves between channels and space written once against an execution policy; each
// output element reads exactly one input element, a run of channels at a time.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/depth_space.h"
#include "kernels/indexing.h"
#include "kernels/numeric.h"
#include "runtime/shape.h"

namespace unet3d::depth_space_impl {

// The blocked tensor t [N, D, H, W, 8*O] holds, for each coarse voxel and each of its 8 blocks,
// a run of O channels; block b = (d & 1) * 4 + (h & 1) * 2 + (w & 1) of the spatial tensor
// [N, 2D, 2H, 2W, O]. Run r (coarse voxel r / 8, block r % 8) starts at r * O in t; this is where
// it starts in the spatial tensor.
UNET3D_HD inline std::int64_t spatial_run_start(std::int64_t r, const IndexMap& runs,
                                                const Shape& space) {
  const Coordinates k = runs.coordinates(r);  // runs.shape = [N, D, H, W, 8]
  const std::int64_t b = k.c;
  return flat_index(space, k.n, 2 * k.d + (b >> 2), 2 * k.h + ((b >> 1) & 1), 2 * k.w + (b & 1), 0);
}

inline Shape run_shape(const Shape& space) {
  return {space.n, space.d / 2, space.h / 2, space.w / 2, 8};
}

template <class Exec, class S>
void depth_to_space(const S* t, const S* bias, S* y, Shape space) {
  const IndexMap runs(run_shape(space));
  const std::int64_t channels = space.c;
  Exec::for_each_run(runs.shape.numel(), channels,
                     [=] UNET3D_HD_LAMBDA(std::int64_t r, std::int64_t first, std::int64_t end) {
                       S* to = y + spatial_run_start(r, runs, space);
                       const S* from = t + r * channels;
                       for (std::int64_t c = first; c < end; ++c) {
                         auto v = load(&from[c]);
                         if (bias != nullptr) v += load(&bias[c]);
                         store(&to[c], v);
                       }
                     });
}

template <class Exec, class S>
void space_to_depth(const S* y, S* t, Shape space) {
  const IndexMap runs(run_shape(space));
  const std::int64_t channels = space.c;
  Exec::for_each_run(runs.shape.numel(), channels,
                     [=] UNET3D_HD_LAMBDA(std::int64_t r, std::int64_t first, std::int64_t end) {
                       const S* from = y + spatial_run_start(r, runs, space);
                       S* to = t + r * channels;
                       for (std::int64_t c = first; c < end; ++c) to[c] = from[c];
                     });
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
