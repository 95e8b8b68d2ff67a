// The shared index arithmetic: 32-bit where every flat index fits, 64-bit beyond, the same
// coordinates either way. Index arithmetic only (no tensor of 2^31 elements is allocated).
#include <catch2/catch.hpp>

#include "kernels/indexing.h"
#include "runtime/rng.h"

using namespace unet3d;

namespace {

// The coordinates of i, by 64-bit arithmetic written out.
Coordinates reference(std::int64_t i, const Shape& s) {
  const std::int64_t c = i % s.c, w = i / s.c % s.w, h = i / (s.c * s.w) % s.h,
                     d = i / (s.c * s.w * s.h) % s.d, n = i / (s.c * s.w * s.h * s.d);
  return {n, d, h, w, c};
}

// Indices at both ends, around 2^31 and 2^32 where they exist, and random ones.
std::vector<std::int64_t> probes(std::int64_t numel) {
  std::vector<std::int64_t> at;
  for (const std::int64_t edge :
       {std::int64_t{1}, numel / 2, numel - 1, std::int64_t{1} << 31, std::int64_t{1} << 32})
    for (const std::int64_t i : {edge - 1, edge, edge + 1})
      if (i >= 0 && i < numel) at.push_back(i);
  Rng rng(5);
  for (int k = 0; k < 2000; ++k)
    at.push_back(static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(numel))));
  return at;
}

void check_shape(const Shape& s, bool narrow) {
  const IndexMap map(s);
  CHECK(map.narrow == narrow);
  const IndexDivider channel = index_divider(s.c, s.numel());
  CHECK(channel.narrow == narrow);
  for (const std::int64_t i : probes(s.numel())) {
    const Coordinates k = map.coordinates(i), r = reference(i, s);
    INFO("shape " << s.str() << " index " << i);
    REQUIRE((k.n == r.n && k.d == r.d && k.h == r.h && k.w == r.w && k.c == r.c));
    REQUIRE(flat_index(s, k.n, k.d, k.h, k.w, k.c) == i);
    REQUIRE(channel.remainder(i) == i % s.c);
    REQUIRE(channel.quotient(i) == i / s.c);
  }
}

}  // namespace

TEST_CASE("flat indices decompose alike on both sides of 2^31 elements", "[indexing]") {
  check_shape({2, 96, 96, 96, 64}, true);           // dec1's concat at 96^3: 113M
  check_shape({2, 8, 1024, 1024, 128}, true);       // exactly 2^31: the last narrow size
  check_shape({2, 8, 1024, 1024, 128 + 1}, false);  // just past it
  check_shape({3, 17, 1031, 1024, 181}, false);     // past 2^33 (32 bits would wrap), odd sizes
  check_shape({1, 1, 1, 1, 1}, true);
}
