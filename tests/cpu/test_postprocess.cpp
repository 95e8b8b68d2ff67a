// Connected components against a brute-force flood fill (every voxel takes the smallest number
// among itself and its 26 neighbours until nothing changes) on random masks, 26-connectivity at
// corners, and the largest-component post-processing.
#include <catch2/catch.hpp>
#include <map>

#include "runtime/rng.h"
#include "scoring/postprocess.h"

using namespace unet3d;

namespace {

// The brute-force reference: component representatives by repeated minimum propagation.
std::vector<std::int64_t> propagated_minimum(const std::vector<std::uint8_t>& mask, Grid g) {
  std::vector<std::int64_t> id(mask.size(), -1);
  for (std::size_t v = 0; v < mask.size(); ++v)
    if (mask[v]) id[v] = static_cast<std::int64_t>(v);
  for (bool changed = true; changed;) {
    changed = false;
    for (std::int64_t z = 0; z < g.d; ++z)
      for (std::int64_t y = 0; y < g.h; ++y)
        for (std::int64_t x = 0; x < g.w; ++x) {
          const auto v = static_cast<std::size_t>((z * g.h + y) * g.w + x);
          if (!mask[v]) continue;
          for (std::int64_t dz = -1; dz <= 1; ++dz)
            for (std::int64_t dy = -1; dy <= 1; ++dy)
              for (std::int64_t dx = -1; dx <= 1; ++dx) {
                const std::int64_t nz = z + dz, ny = y + dy, nx = x + dx;
                if (nz < 0 || ny < 0 || nx < 0 || nz >= g.d || ny >= g.h || nx >= g.w) continue;
                const auto n = static_cast<std::size_t>((nz * g.h + ny) * g.w + nx);
                if (mask[n] && id[n] < id[v]) id[v] = id[n], changed = true;
              }
        }
  }
  return id;
}

}  // namespace

TEST_CASE("connected components match a brute-force flood fill on random masks", "[postprocess]") {
  const Grid g{7, 8, 9};
  Rng rng(5);
  for (const double density : {0.05, 0.2, 0.35, 0.6}) {
    INFO("density " << density);
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(g.d * g.h * g.w));
    for (std::uint8_t& m : mask) m = rng.uniform() < density;
    std::vector<std::int64_t> sizes;
    const std::vector<std::int32_t> mine = connected_components(mask.data(), g, sizes);
    const std::vector<std::int64_t> reference = propagated_minimum(mask, g);
    // The same partition: a one-to-one map between component numbers and representatives.
    std::map<std::int32_t, std::int64_t> to_reference;
    std::map<std::int64_t, std::int32_t> to_mine;
    std::vector<std::int64_t> counted(sizes.size(), 0);
    for (std::size_t v = 0; v < mask.size(); ++v) {
      REQUIRE((mine[v] < 0) == (mask[v] == 0));
      if (mine[v] < 0) continue;
      REQUIRE(to_reference.emplace(mine[v], reference[v]).first->second == reference[v]);
      REQUIRE(to_mine.emplace(reference[v], mine[v]).first->second == mine[v]);
      ++counted[static_cast<std::size_t>(mine[v])];
    }
    CHECK(counted == sizes);
    CHECK(to_mine.size() == sizes.size());
  }
}

TEST_CASE("voxels touching at a corner are one component, two apart are not", "[postprocess]") {
  const Grid g{3, 3, 3};
  std::vector<std::uint8_t> mask(27, 0);
  mask[0] = 1;   // (0, 0, 0)
  mask[13] = 1;  // (1, 1, 1): shares only a corner with (0, 0, 0)
  std::vector<std::int64_t> sizes;
  connected_components(mask.data(), g, sizes);
  CHECK(sizes == std::vector<std::int64_t>{2});
  mask[13] = 0;
  mask[26] = 1;  // (2, 2, 2)
  connected_components(mask.data(), g, sizes);
  CHECK(sizes == std::vector<std::int64_t>{1, 1});
}

TEST_CASE("the largest component of each chosen class is kept, the rest becomes background",
          "[postprocess]") {
  const Grid g{1, 3, 9};
  // Row 0: class 1 in blobs of 2 and 3 voxels; row 1: class 2 in two blobs of 1; row 2: class 3
  // in blobs of 2 and 2 (a tie: the first is kept).
  std::vector<std::uint8_t> labels = {1, 1, 0, 0, 1, 1, 1, 0, 0,  //
                                      2, 0, 0, 0, 0, 0, 0, 0, 2,  //
                                      0, 3, 3, 0, 0, 0, 3, 3, 0};
  keep_largest_components(labels.data(), g, {false, true, false, true});
  const std::vector<std::uint8_t> expected = {0, 0, 0, 0, 1, 1, 1, 0, 0,  //
                                              2, 0, 0, 0, 0, 0, 0, 0, 2,  //
                                              0, 3, 3, 0, 0, 0, 0, 0, 0};
  CHECK(labels == expected);
}
