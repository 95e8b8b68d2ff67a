// The plan's rules (docs/model.md, The plan), as plain functions of a fingerprint: the target
// spacing, the network's topology for a patch, the patch and batch that fit a memory budget, and
// each channel's normalisation. Triples are (z, y, x) here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/normalization.h"
#include "layers/unet_config.h"
#include "tools/plan/fingerprint.h"

namespace unet3d {

// The per-axis median spacing; where the coarsest median is more than 3 times the finest, that
// axis takes the 10th percentile of its spacings instead (numpy's, linear).
Spacing plan_spacing(const std::vector<Spacing>& spacings);

// Each level's pooling and kernel for `patch` at `spacing`: at each level an axis pools (2) while
// it keeps at least 4 voxels (floor(n / 2) >= 4), its current spacing is at most twice the finest
// current spacing, and it has pooled fewer than 5 times; its kernel is 1 where its current
// spacing is more than twice the finest, else 3. Each pooling doubles the axis's spacing. The
// depth is the number of levels at which any axis pools; the bottleneck's kernel follows the
// same rule at its spacing. kernels has depth + 1 entries, pools depth.
struct Topology {
  std::vector<Grid> kernels, pools;
  std::int64_t depth() const { return static_cast<std::int64_t>(pools.size()); }
  Grid total_pool() const;
};
Topology plan_topology(Grid patch, const Spacing& spacing);

// What the plan is sized for besides the data.
struct PlanTarget {
  double memory_bytes = 8e9;                       // --memory-gb
  std::int64_t features = 32, max_features = 320;  // the network's width (0: no cap)
  NormKind norm = NormKind::instance;
  bool deep_supervision = true;  // where the depth allows it
  // Given by the user, so the rest of the plan follows them: the spacing replaces the planned
  // one; the patch is taken as it is (its topology derived from it, nothing shrunk or rounded).
  std::optional<Spacing> spacing;
  std::optional<Grid> patch;
};

struct Plan {
  Spacing spacing{};
  Grid median_shape{0, 0, 0};  // of the cases resampled to `spacing`
  Grid patch{0, 0, 0};
  std::int64_t batch = 2;
  UNetConfig network;           // depth, kernels, pools, features, cap, norm, ...
  Normalization normalization;  // one entry per channel
  double step_bytes = 0;        // the step's estimated memory at `batch`
};

// The plan for a dataset of `f`'s cases and `classes` classes: the spacing; from the median
// resampled shape, the topology of the patch and the step's memory at batch 2 (an upper bound
// with one CPU thread's scratch, tools/run/memory_budget.h); while it exceeds the budget, the axis
// largest relative to the median shape (ties: z, y, x) shrinks by its total pooling and the
// topology is derived again; then each axis is rounded down to a multiple of its total pooling,
// and the batch grows from 2 while the memory allows and a batch holds at most 5 % of the
// dataset's resampled voxels. A usage Error where the median shape cannot be pooled at all, or
// no patch that pools fits the budget.
Plan make_plan(const Fingerprint& f, int classes, const PlanTarget& target);

// A channel named CT (any case) in dataset.json: clip to its foreground's 0.5 and 99.5
// percentiles, then z-score with its foreground mean and std; any other channel: the per-volume
// z-score.
Normalization plan_normalization(const Fingerprint& f);

}  // namespace unet3d
