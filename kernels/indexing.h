// Flat NDHWC indices and the coordinates they stand for, for kernel bodies on either backend.
// Division is done in 32-bit unsigned arithmetic wherever every flat index of the tensor fits
// (numel <= 2^31, nearly every tensor): a GPU has no 64-bit divider, and nvcc turns each 64-bit
// `/` or `%` into a call of a long software routine. Both widths run through the same code on
// the CPU, so its tests cover the arithmetic the GPU does.
#pragma once

#include <cstdint>

#include "runtime/hd.h"
#include "runtime/shape.h"

namespace unet3d {

// Flat indices below this many elements all fit 32-bit arithmetic.
inline constexpr std::int64_t kNarrowIndexLimit = std::int64_t{1} << 31;

UNET3D_HD constexpr bool narrow_indices(std::int64_t numel) {
  return numel <= kNarrowIndexLimit;
}

struct Coordinates {
  std::int64_t n, d, h, w, c;
};

// i / divisor and i % divisor for flat indices i of a tensor, at the width its size allows.
struct IndexDivider {
  std::int64_t divisor = 1;
  bool narrow = true;

  UNET3D_HD std::int64_t quotient(std::int64_t i) const {
    return narrow ? static_cast<std::int64_t>(static_cast<std::uint32_t>(i) /
                                              static_cast<std::uint32_t>(divisor))
                  : i / divisor;
  }
  UNET3D_HD std::int64_t remainder(std::int64_t i) const {
    return narrow ? static_cast<std::int64_t>(static_cast<std::uint32_t>(i) %
                                              static_cast<std::uint32_t>(divisor))
                  : i % divisor;
  }
};

// Dividing the flat indices of a tensor of `numel` elements by `divisor` (e.g. its channels).
inline IndexDivider index_divider(std::int64_t divisor, std::int64_t numel) {
  return {divisor, narrow_indices(numel)};
}

namespace detail {

template <class I>
UNET3D_HD Coordinates decompose(I i, I c, I w, I h, I d) {
  Coordinates k{};
  k.c = static_cast<std::int64_t>(i % c);
  i /= c;
  k.w = static_cast<std::int64_t>(i % w);
  i /= w;
  k.h = static_cast<std::int64_t>(i % h);
  i /= h;
  k.d = static_cast<std::int64_t>(i % d);
  k.n = static_cast<std::int64_t>(i / d);
  return k;
}

}  // namespace detail

// A shape whose flat indices kernels decompose, with the arithmetic's width decided once.
struct IndexMap {
  Shape shape;
  bool narrow = true;

  IndexMap() = default;
  explicit IndexMap(const Shape& s) : shape(s), narrow(narrow_indices(s.numel())) {}

  // The coordinates of flat index i (channels fastest).
  UNET3D_HD Coordinates coordinates(std::int64_t i) const {
    const Shape& s = shape;
    if (narrow)
      return detail::decompose<std::uint32_t>(
          static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(s.c),
          static_cast<std::uint32_t>(s.w), static_cast<std::uint32_t>(s.h),
          static_cast<std::uint32_t>(s.d));
    return detail::decompose<std::int64_t>(i, s.c, s.w, s.h, s.d);
  }
};

// The flat index of (n, d, h, w, c) in a tensor of shape s.
UNET3D_HD inline std::int64_t flat_index(const Shape& s, std::int64_t n, std::int64_t d,
                                         std::int64_t h, std::int64_t w, std::int64_t c) {
  return (((n * s.d + d) * s.h + h) * s.w + w) * s.c + c;
}

// body(v, k, first, end) for each voxel v of `shape` ([N, D, H, W, C]), k its coordinates (c = 0),
// covering its channels [first, end): through Exec::for_each_run, all C in one call on the CPU
// (the voxel's index arithmetic done once), one channel per thread on a GPU.
template <class Exec, class Body>
void for_each_voxel(const Shape& shape, Body body) {
  const IndexMap voxels(shape.with_channels(1));
  Exec::for_each_run(shape.numel() / shape.c, shape.c,
                     [=] UNET3D_HD_LAMBDA(std::int64_t v, std::int64_t first, std::int64_t end) {
                       body(v, voxels.coordinates(v), first, end);
                     });
}

}  // namespace unet3d
