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

// The block's size per axis (d, h, w), each 1 or 2.
struct Block {
  std::int64_t d, h, w;
};

// The blocked tensor t [N, D, H, W, blocks * O] holds, for each coarse voxel and each position of
// its block, a run of O channels; position b = (a * bh + b') * bw + c of the spatial tensor
// [N, bd D, bh H, bw W, O]. Run r (coarse voxel r / blocks, position r % blocks) starts at r * O
// in t; this is where it starts in the spatial tensor.
UNET3D_HD inline std::int64_t spatial_run_start(std::int64_t r, const IndexMap& runs,
                                                const Shape& space, Block block) {
  const Coordinates k = runs.coordinates(r);  // runs.shape = [N, D, H, W, blocks]
  const std::int64_t b = k.c;
  return flat_index(space, k.n, block.d * k.d + b / (block.h * block.w),
                    block.h * k.h + b / block.w % block.h, block.w * k.w + b % block.w, 0);
}

inline Shape run_shape(const Shape& space, Block block) {
  return {space.n, space.d / block.d, space.h / block.h, space.w / block.w,
          block.d * block.h * block.w};
}

template <class Exec, class S>
void depth_to_space(const S* t, const S* bias, S* y, Shape space, Block block) {
  const IndexMap runs(run_shape(space, block));
  const std::int64_t channels = space.c;
  Exec::for_each_run(runs.shape.numel(), channels,
                     [=] UNET3D_HD_LAMBDA(std::int64_t r, std::int64_t first, std::int64_t end) {
                       S* to = y + spatial_run_start(r, runs, space, block);
                       const S* from = t + r * channels;
                       for (std::int64_t c = first; c < end; ++c) {
                         auto v = load(&from[c]);
                         if (bias != nullptr) v += load(&bias[c]);
                         store(&to[c], v);
                       }
                     });
}

template <class Exec, class S>
void space_to_depth(const S* y, S* t, Shape space, Block block) {
  const IndexMap runs(run_shape(space, block));
  const std::int64_t channels = space.c;
  Exec::for_each_run(runs.shape.numel(), channels,
                     [=] UNET3D_HD_LAMBDA(std::int64_t r, std::int64_t first, std::int64_t end) {
                       const S* from = y + spatial_run_start(r, runs, space, block);
                       S* to = t + r * channels;
                       for (std::int64_t c = first; c < end; ++c) to[c] = from[c];
                     });
}

}  // namespace unet3d::depth_space_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On, DType D>
void depth_to_space(const DepthToSpaceArgs& a, depth_space_impl::Block b) {
  using S = storage_t<On, D>;
  depth_space_impl::depth_to_space<Exec<On>>(
      typed(S{}, a.t), a.bias ? static_cast<const S*>(a.bias->data()) : nullptr, typed(S{}, a.y),
      a.y.shape(), b);
}

template <class On, DType D>
void space_to_depth(const SpaceToDepthArgs& a, depth_space_impl::Block b) {
  using S = storage_t<On, D>;
  depth_space_impl::space_to_depth<Exec<On>>(typed(S{}, a.y), typed(S{}, a.t), a.y.shape(), b);
}

}  // namespace unet3d::backend

#define UNET3D_DEPTH_SPACE_ENTRIES(X) X(FLOAT, depth_to_space) X(FLOAT, space_to_depth)
