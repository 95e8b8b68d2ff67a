// Rng draws that need more than one line.
#include "runtime/rng.h"

#include <numbers>

#include "runtime/error.h"

namespace unet3d {

std::uint64_t Rng::below(std::uint64_t n) {
  UNET3D_USAGE_CHECK(n > 0, "Rng::below(0): empty range");
  // The largest multiple of n that fits, so every residue is equally likely.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x = next_u64();
  while (x >= limit) x = next_u64();
  return x % n;
}

double Rng::normal() {
  const double u1 = 1.0 - uniform();  // in (0, 1], so the log is finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace unet3d
