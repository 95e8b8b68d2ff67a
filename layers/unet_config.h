// The UNet3D's configuration (docs/model.md): the original network's four numbers and the
// configurable network's kernels, pooling, feature cap, norm, activation and deep supervision.
// Every default is the original network's, so a configuration that sets nothing else is it, bit
// for bit. Triples here are in tensor order (d, h, w) = (z, y, x); the x,y,z text users and
// checkpoints see is tools/' business.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "runtime/shape.h"

namespace unet3d {

enum class NormKind { batch, instance };

struct UNetConfig {
  UNetConfig() = default;
  // The original network's four numbers; everything else as §1 has it.
  UNetConfig(std::int64_t in, std::int64_t classes, std::int64_t features, std::int64_t levels)
      : in_channels(in), num_classes(classes), init_features(features), depth(levels) {}

  std::int64_t in_channels = 1;
  std::int64_t num_classes = 6;
  std::int64_t init_features = 32;
  std::int64_t depth = 4;
  // Kernel sizes of levels 1 .. depth, then the bottleneck's (depth + 1 entries, each side 1 or
  // 3); empty: 3 everywhere.
  std::vector<Grid> kernel_sizes;
  // Pooling sizes after levels 1 .. depth (each side 1 or 2); empty: 2 everywhere.
  std::vector<Grid> pool_sizes;
  std::int64_t max_features = 0;  // the feature cap; 0: none
  NormKind norm = NormKind::batch;
  Activation activation = Activation::relu;
  bool deep_supervision = false;  // heads ds2 .. ds{depth-1}

  // Level `level`'s kernel (depth + 1: the bottleneck's) and pooling size (1 .. depth).
  Grid kernel(std::int64_t level) const;
  Grid pool(std::int64_t level) const;
  // Features of level `level` (depth + 1: the bottleneck): min(f 2^(level-1), max_features).
  std::int64_t features(std::int64_t level) const;
  // The grid at level `level` (1: the input's; depth + 1: the bottleneck's) of an input grid.
  Grid grid_at(Grid input, std::int64_t level) const;
  // The pooling of levels 1 .. depth together, per axis: what an input side must be a multiple of.
  Grid total_pool() const;
  // The levels with a deep-supervision head: 2 .. depth - 1 (none without deep supervision).
  std::vector<std::int64_t> supervised_levels() const;
  // Whether every setting beyond the four numbers is the original network's.
  bool is_original() const;

  // A usage Error naming the setting, for sizes of the wrong count or value, deep supervision at
  // depth 2 or less, a negative cap.
  void check() const;
};

}  // namespace unet3d
