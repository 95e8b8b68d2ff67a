// Flips of a volume (and, with the same axes, its label map) along chosen spatial axes: the
// augmentation of the original project (torchio's RandomFlip). Any dtype, either backend.
#pragma once

#include <cstdint>

#include "runtime/rng.h"
#include "runtime/tensor.h"

namespace unet3d {

enum FlipAxis : unsigned { kFlipD = 1, kFlipH = 2, kFlipW = 4 };

// y := x mirrored along every axis in `axes` (a FlipAxis mask); overwritten, y must not alias x.
struct FlipArgs {
  const Tensor& x;
  Tensor& y;
  unsigned axes;
};
void flip(const FlipArgs& a);

// Each axis of `allowed` independently with probability 1/2, drawn from `rng`; apply the
// result to the image and its labels alike.
unsigned random_flip_axes(Rng& rng, unsigned allowed = kFlipD | kFlipH | kFlipW);

}  // namespace unet3d
