// Flat NDHWC indices and the coordinates they stand for, for kernel bodies on either backend.
#pragma once

#include <cstdint>

#include "runtime/hd.h"
#include "runtime/shape.h"

namespace unet3d {

struct Coordinates {
  std::int64_t n, d, h, w, c;
};

// The coordinates of flat index i in a tensor of shape s (channels fastest).
UNET3D_HD inline Coordinates coordinates(std::int64_t i, const Shape& s) {
  Coordinates k{};
  k.c = i % s.c;
  i /= s.c;
  k.w = i % s.w;
  i /= s.w;
  k.h = i % s.h;
  i /= s.h;
  k.d = i % s.d;
  k.n = i / s.d;
  return k;
}

// The flat index of (n, d, h, w, c) in a tensor of shape s.
UNET3D_HD inline std::int64_t flat_index(const Shape& s, std::int64_t n, std::int64_t d,
                                         std::int64_t h, std::int64_t w, std::int64_t c) {
  return (((n * s.d + d) * s.h + h) * s.w + w) * s.c + c;
}

}  // namespace unet3d
