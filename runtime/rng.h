// The project's seeded random numbers. Output k of a seed is splitmix64 evaluated at counter k,
// a pure function of (seed, k): a CUDA thread and a CPU loop computing element k get the same
// bits, and the sequential Rng below walks the very same stream.
#pragma once

#include <cmath>
#include <cstdint>

#include "runtime/hd.h"

namespace unet3d {

UNET3D_HD inline std::uint64_t random_bits(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) with 24 random bits: exactly representable, identical on both backends.
UNET3D_HD inline float uniform01(std::uint64_t seed, std::uint64_t index) {
  return static_cast<float>(random_bits(seed, index) >> 40) * 0x1.0p-24f;
}

// Uniform in [lo, hi). fmaf rounds once on host and device alike, where a*b+c could be
// contracted differently by nvcc and the host compiler.
UNET3D_HD inline float uniform_in(std::uint64_t seed, std::uint64_t index, float lo, float hi) {
  return fmaf(uniform01(seed, index), hi - lo, lo);
}

// Sequential generator over the same stream, for host-side choices (shuffles, initial weights).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : seed_(seed) {}

  std::uint64_t next_u64() { return random_bits(seed_, counter_++); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), without modulo bias (rejection of the short last interval).
  std::uint64_t below(std::uint64_t n);
  // Standard normal by Box-Muller; uses two draws.
  double normal();

  std::uint64_t seed() const { return seed_; }
  std::uint64_t counter() const { return counter_; }
  // Resumes a stream at a saved position (checkpoints store seed and counter).
  void set_counter(std::uint64_t counter) { counter_ = counter; }

 private:
  std::uint64_t seed_;
  std::uint64_t counter_ = 0;
};

}  // namespace unet3d
