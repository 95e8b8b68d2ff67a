// Shape of a 5-D tensor in NDHWC order (channels last, W fastest after C). Element counts are
// 64-bit: a batch of 96^3 x 64 activations passes 2^31 elements quickly.
#pragma once

#include <cstdint>
#include <string>

namespace unet3d {

struct Shape {
  std::int64_t n = 1, d = 1, h = 1, w = 1, c = 1;

  static Shape vector(std::int64_t c) { return {1, 1, 1, 1, c}; }
  static Shape scalar() { return {1, 1, 1, 1, 1}; }

  // The same grid with another channel count (a label map is with_channels(1)).
  Shape with_channels(std::int64_t channels) const { return {n, d, h, w, channels}; }
  std::int64_t numel() const { return n * d * h * w * c; }
  std::int64_t spatial() const { return d * h * w; }
  bool operator==(const Shape&) const = default;
  std::string str() const;
};

// A grid of voxels, (D, H, W) = (z, y, x): a volume's, a patch's, the network's input.
struct Grid {
  std::int64_t d, h, w;
  static Grid cube(std::int64_t side) { return {side, side, side}; }
  bool is_cube() const { return d == h && h == w; }
  // The grid at `level` (1: the input's), each side halved per level below.
  Grid at_level(std::int64_t level) const {
    return {d >> (level - 1), h >> (level - 1), w >> (level - 1)};
  }
  std::int64_t voxels() const { return d * h * w; }
  bool operator==(const Grid&) const = default;
  std::string str() const;  // "DxHxW"
};

}  // namespace unet3d
