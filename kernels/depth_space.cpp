// Block moves between channels and space: argument checks, dispatch, and the CPU instantiations.
#include "kernels/depth_space.h"

#include "kernels/check.h"
#include "kernels/depth_space_impl.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_DEPTH_SPACE_ENTRIES(UNET3D_GPU_ELSEWHERE)

namespace {

depth_space_impl::Block check_blocks(const char* op, const Tensor& t, const Tensor& y, Grid block) {
  const auto valid = [](std::int64_t side) { return side == 1 || side == 2; };
  UNET3D_USAGE_CHECK(valid(block.d) && valid(block.h) && valid(block.w), op, ": block ",
                     block.str(), " (each side 1 or 2)");
  const std::int64_t blocks = block.voxels();
  const Shape& b = t.shape();
  const Shape expected{b.n, block.d * b.d, block.h * b.h, block.w * b.w, b.c / blocks};
  UNET3D_USAGE_CHECK(b.c % blocks == 0 && y.shape() == expected && t.dtype() == y.dtype() &&
                         t.device() == y.device(),
                     op, ": blocked ", t.describe(), " and spatial ", y.describe(),
                     " do not correspond for blocks of ", block.str());
  return {block.d, block.h, block.w};
}

}  // namespace

void depth_to_space(const DepthToSpaceArgs& a) {
  const depth_space_impl::Block b = check_blocks("depth_to_space", a.t, a.y, a.block);
  if (a.bias != nullptr) check_channel_vector("depth_to_space", a.y, *a.bias, a.y.dtype());
  UNET3D_RUN_FLOAT(a.y, depth_to_space, a, b);
}

void space_to_depth(const SpaceToDepthArgs& a) {
  const depth_space_impl::Block b = check_blocks("space_to_depth", a.t, a.y, a.block);
  UNET3D_RUN_FLOAT(a.y, space_to_depth, a, b);
}

}  // namespace unet3d
