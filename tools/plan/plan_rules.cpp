// The plan's rules.
#include "tools/plan/plan_rules.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "io/resampled.h"
#include "runtime/error.h"
#include "tools/run/memory_budget.h"

namespace unet3d {
namespace {

constexpr double kAnisotropyRatio = 3;  // coarsest / finest median spacing
constexpr double kCoarseAxisPercentile = 10;
constexpr std::int64_t kMinFeatureMap = 4;  // voxels an axis keeps after pooling
constexpr std::int64_t kMaxPoolings = 5;
constexpr double kSpacingRatio = 2;  // pools / 3-wide kernels up to twice the finest
constexpr double kBatchShareOfData = 0.05;
constexpr std::int64_t kMinBatch = 2;

std::int64_t& axis(Grid& g, int a) {
  return a == 0 ? g.d : a == 1 ? g.h : g.w;
}
std::int64_t axis(const Grid& g, int a) {
  return a == 0 ? g.d : a == 1 ? g.h : g.w;
}

// Each axis's kernel at `spacing`: 1 where it is more than twice the finest.
Grid kernel_at(const Spacing& spacing) {
  const double finest = *std::min_element(spacing.begin(), spacing.end());
  Grid k{3, 3, 3};
  for (int a = 0; a < 3; ++a)
    if (spacing[static_cast<std::size_t>(a)] > kSpacingRatio * finest) axis(k, a) = 1;
  return k;
}

UNetConfig network_of(const Topology& t, std::int64_t channels, int classes,
                      const PlanTarget& target) {
  UNetConfig c{channels, classes, target.features, t.depth()};
  c.kernel_sizes = t.kernels;
  c.pool_sizes = t.pools;
  c.max_features = target.max_features;
  c.norm = target.norm;
  c.deep_supervision = target.deep_supervision && t.depth() >= 3;
  return c;
}

}  // namespace

Grid Topology::total_pool() const {
  Grid total{1, 1, 1};
  for (const Grid& p : pools) total = {total.d * p.d, total.h * p.h, total.w * p.w};
  return total;
}

Spacing plan_spacing(const std::vector<Spacing>& spacings) {
  UNET3D_USAGE_CHECK(!spacings.empty(), "the plan needs at least one case's spacing");
  Spacing target{};
  std::vector<double> per_axis[3];
  for (const Spacing& s : spacings)
    for (std::size_t a = 0; a < 3; ++a) per_axis[a].push_back(s[a]);
  for (std::size_t a = 0; a < 3; ++a) target[a] = percentile(per_axis[a], 50);
  const auto coarsest = std::max_element(target.begin(), target.end());
  const double finest = *std::min_element(target.begin(), target.end());
  if (*coarsest > kAnisotropyRatio * finest) {
    const auto a = static_cast<std::size_t>(coarsest - target.begin());
    target[a] = percentile(per_axis[a], kCoarseAxisPercentile);
  }
  return target;
}

Topology plan_topology(Grid patch, const Spacing& spacing) {
  Topology t;
  Spacing current = spacing;
  Grid size = patch;
  Grid pooled{0, 0, 0};
  for (;;) {
    const double finest = *std::min_element(current.begin(), current.end());
    Grid pool{1, 1, 1};
    for (int a = 0; a < 3; ++a) {
      const auto i = static_cast<std::size_t>(a);
      if (axis(size, a) / 2 >= kMinFeatureMap && current[i] <= kSpacingRatio * finest &&
          axis(pooled, a) < kMaxPoolings)
        axis(pool, a) = 2;
    }
    if (pool == Grid::cube(1)) break;
    t.kernels.push_back(kernel_at(current));
    t.pools.push_back(pool);
    for (int a = 0; a < 3; ++a) {
      const auto i = static_cast<std::size_t>(a);
      axis(size, a) /= axis(pool, a);
      current[i] *= static_cast<double>(axis(pool, a));
      axis(pooled, a) += axis(pool, a) == 2;
    }
  }
  t.kernels.push_back(kernel_at(current));
  return t;
}

Normalization plan_normalization(const Fingerprint& f) {
  Normalization out;
  for (std::size_t c = 0; c < f.intensities.size(); ++c) {
    std::string name = c < f.channel_names.size() ? f.channel_names[c] : "";
    for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const IntensityStats& s = f.intensities[c];
    if (name == "CT" && s.samples == 0)
      throw Error(ErrorKind::data,
                  concat("the plan: channel ", c, " (CT) has no foreground voxel in the ",
                         "training cases, so its clipping range and figures are unknown"));
    out.push_back(name == "CT"
                      ? ChannelNormalization{true, s.p00_5, s.p99_5, s.mean, std::max(s.std, 1e-8)}
                      : ChannelNormalization{});
  }
  return out;
}

Plan make_plan(const Fingerprint& f, int classes, const PlanTarget& target) {
  Plan p;
  p.spacing = target.spacing ? *target.spacing : plan_spacing(f.spacings);
  std::vector<double> sides[3];
  double dataset_voxels = 0;
  for (std::size_t i = 0; i < f.shapes.size(); ++i) {
    const Grid g = resampled_grid(f.shapes[i], f.spacings[i], p.spacing);
    for (int a = 0; a < 3; ++a) sides[a].push_back(static_cast<double>(axis(g, a)));
    dataset_voxels += static_cast<double>(g.voxels());
  }
  for (int a = 0; a < 3; ++a)
    axis(p.median_shape, a) = static_cast<std::int64_t>(std::floor(percentile(sides[a], 50)));
  const auto channels = static_cast<std::int64_t>(f.intensities.size());
  // Memory as one thread's CPU step: the GPU's cuDNN workspace is not known before it runs.
  const auto step_bytes = [&](const Topology& t, Grid patch, std::int64_t batch) {
    return training_step_memory(network_of(t, channels, classes, target), batch, patch, 1).total();
  };
  Grid patch = target.patch ? *target.patch : p.median_shape;
  Topology t = plan_topology(patch, p.spacing);
  UNET3D_USAGE_CHECK(t.depth() > 0, "the plan: the ",
                     target.patch ? "--patch " : "median shape at the target spacing, ",
                     xyz_text(patch),
                     " (x,y,z), cannot be pooled along any axis (one needs 8 "
                     "voxels)");
  while (!target.patch &&
         (t.depth() == 0 || step_bytes(t, patch, kMinBatch) > target.memory_bytes)) {
    UNET3D_USAGE_CHECK(t.depth() > 0, "the plan: no patch that pools fits ",
                       target.memory_bytes / 1e9, " GB (the last tried: ", xyz_text(patch),
                       " x,y,z): raise --memory-gb");
    // The axis largest relative to the median shape (ties: z, then y, then x) of those that
    // keep a voxel.
    const Grid step = t.total_pool();
    int largest = -1;
    const auto ratio = [&](int a) {
      return static_cast<double>(axis(patch, a)) / static_cast<double>(axis(p.median_shape, a));
    };
    for (int a = 0; a < 3; ++a)
      if (axis(patch, a) > axis(step, a) && (largest < 0 || ratio(a) > ratio(largest))) largest = a;
    UNET3D_CHECK(largest >= 0, "a patch that pools has an axis of more than its pooling");
    axis(patch, largest) -= axis(step, largest);
    t = plan_topology(patch, p.spacing);
  }
  const Grid multiple = t.total_pool();
  if (!target.patch)
    for (int a = 0; a < 3; ++a)
      axis(patch, a) = axis(patch, a) / axis(multiple, a) * axis(multiple, a);
  p.patch = patch;
  p.batch = kMinBatch;
  while (step_bytes(t, patch, p.batch + 1) <= target.memory_bytes &&
         static_cast<double>((p.batch + 1) * patch.voxels()) <= kBatchShareOfData * dataset_voxels)
    ++p.batch;
  p.network = network_of(t, channels, classes, target);
  p.step_bytes = step_bytes(t, patch, p.batch);
  p.normalization = plan_normalization(f);
  return p;
}

}  // namespace unet3d
