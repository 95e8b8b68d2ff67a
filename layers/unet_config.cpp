// The UNet3D's configuration.
#include "layers/unet_config.h"

#include <algorithm>

#include "runtime/error.h"

namespace unet3d {

Grid UNetConfig::kernel(std::int64_t level) const {
  if (kernel_sizes.empty()) return Grid::cube(3);
  return kernel_sizes.at(static_cast<std::size_t>(level - 1));
}

Grid UNetConfig::pool(std::int64_t level) const {
  if (pool_sizes.empty()) return Grid::cube(2);
  return pool_sizes.at(static_cast<std::size_t>(level - 1));
}

std::int64_t UNetConfig::features(std::int64_t level) const {
  const std::int64_t f = init_features << (level - 1);
  return max_features > 0 ? std::min(f, max_features) : f;
}

Grid UNetConfig::grid_at(Grid input, std::int64_t level) const {
  for (std::int64_t i = 1; i < level; ++i) {
    const Grid p = pool(i);
    input = {input.d / p.d, input.h / p.h, input.w / p.w};
  }
  return input;
}

Grid UNetConfig::total_pool() const {
  Grid total{1, 1, 1};
  for (std::int64_t i = 1; i <= depth; ++i) {
    const Grid p = pool(i);
    total = {total.d * p.d, total.h * p.h, total.w * p.w};
  }
  return total;
}

std::vector<std::int64_t> UNetConfig::supervised_levels() const {
  std::vector<std::int64_t> levels;
  if (deep_supervision)
    for (std::int64_t i = 2; i <= depth - 1; ++i) levels.push_back(i);
  return levels;
}

bool UNetConfig::is_original() const {
  const auto all = [](const std::vector<Grid>& sizes, std::int64_t side) {
    return std::all_of(sizes.begin(), sizes.end(),
                       [&](const Grid& g) { return g == Grid::cube(side); });
  };
  const bool capped = max_features > 0 && features(depth + 1) < (init_features << depth);
  return all(kernel_sizes, 3) && all(pool_sizes, 2) && !capped && norm == NormKind::batch &&
         activation == Activation::relu && !deep_supervision;
}

void UNetConfig::check() const {
  UNET3D_USAGE_CHECK(in_channels >= 1 && num_classes >= 2 && init_features >= 1 && depth >= 1,
                     "UNet3D: in_channels ", in_channels, ", num_classes ", num_classes,
                     ", init_features ", init_features, ", depth ", depth,
                     " (need >= 1, >= 2, >= 1, >= 1)");
  const auto sides_in = [](const Grid& g, std::int64_t a, std::int64_t b) {
    for (const std::int64_t side : {g.d, g.h, g.w})
      if (side != a && side != b) return false;
    return true;
  };
  UNET3D_USAGE_CHECK(
      kernel_sizes.empty() || kernel_sizes.size() == static_cast<std::size_t>(depth + 1),
      "--kernel-sizes: ", kernel_sizes.size(), " kernel sizes for depth ", depth, " (needs ",
      depth + 1, ": one per level and the bottleneck's)");
  for (const Grid& k : kernel_sizes)
    UNET3D_USAGE_CHECK(sides_in(k, 1, 3), "--kernel-sizes: a kernel of ", k.str(),
                       " (each side 1 or 3)");
  UNET3D_USAGE_CHECK(pool_sizes.empty() || pool_sizes.size() == static_cast<std::size_t>(depth),
                     "--pool-sizes: ", pool_sizes.size(), " pooling sizes for depth ", depth,
                     " (needs ", depth, ": one per level)");
  for (const Grid& p : pool_sizes)
    UNET3D_USAGE_CHECK(sides_in(p, 1, 2), "--pool-sizes: a pooling size of ", p.str(),
                       " (each side 1 or 2)");
  UNET3D_USAGE_CHECK(max_features >= 0, "--max-features: ", max_features,
                     " (a positive cap, or none)");
  UNET3D_USAGE_CHECK(!deep_supervision || depth >= 3,
                     "--deep-supervision needs --depth 3 or more (", depth,
                     " has no decoder level between the head and the bottleneck)");
}

}  // namespace unet3d
