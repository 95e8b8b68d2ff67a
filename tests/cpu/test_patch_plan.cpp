// Patch mode's planning: the resampled-size rule, the median spacing, the default patch and
// where patches are cut (foreground at the stated rate, clamped, padded axes).
#include <catch2/catch.hpp>
#include <map>
#include <vector>

#include "io/patch_plan.h"

using namespace unet3d;

TEST_CASE("a volume resampled to the target spacing has floor(n s / t + 0.5) voxels per axis",
          "[patch]") {
  // A HipMRI-sized volume, (z, y, x) = 128 x 256 x 256 at 2.5 x 1.6 x 1.6 mm, to 3 x 2 x 2 mm:
  // 106.7 -> 107 and 204.8 -> 205.
  CHECK(resampled_grid({128, 256, 256}, {2.5, 1.6, 1.6}, {3, 2, 2}) == Grid{107, 205, 205});
  CHECK(resampled_grid({3, 5, 7}, {1, 1, 1}, {2, 2, 2}) == Grid{2, 3, 4});        // halves round up
  CHECK(resampled_grid({1, 2, 1}, {0.5, 0.5, 0.5}, {4, 4, 4}) == Grid{1, 1, 1});  // at least 1
}

TEST_CASE("the default spacing is the per-axis median", "[patch]") {
  CHECK(median_spacing({{3, 1, 2}, {1, 2, 2}, {2, 3, 1}}) == Spacing{2, 2, 2});
  CHECK(median_spacing({{3, 1, 2}, {1, 2, 4}}) == Spacing{2, 1.5, 3});
}

TEST_CASE("the default patch rounds the median grid down, then shrinks its largest side",
          "[patch]") {
  // Medians (42, 65, 52) rounded down to multiples of 4: (40, 64, 52); 133,120 voxels fit 64^3.
  CHECK(default_patch({{40, 70, 50}, {44, 60, 54}}, Grid::cube(4), 64) == Grid{40, 64, 52});
  // (40, 68, 48) shrinks by 4 along its largest side, ties z then y then x, until it holds at
  // most 26^3 = 17,576 voxels: ... (32, 32, 32), (28, 32, 32), (28, 28, 32), (28, 28, 28),
  // (24, 28, 28) with 18,816, then (24, 24, 28) with 16,128.
  CHECK(default_patch({{40, 68, 48}}, Grid::cube(4), 26) == Grid{24, 24, 28});
  // A side below 2^depth becomes 2^depth.
  CHECK(default_patch({{3, 40, 40}}, Grid::cube(8), 96) == Grid{8, 40, 40});
  // Per-axis multiples (z pooled twice, y and x four times): z rounds to 4, y and x to 16; then
  // the largest side that can shrink does, by its own multiple: (12, 64, 48) holds 36,864 > 32^3,
  // so y shrinks to 48: 27,648.
  CHECK(default_patch({{13, 70, 50}}, Grid{4, 16, 16}, 32) == Grid{12, 48, 48});
  // Where the largest side is at its multiple, a smaller one still shrinks.
  CHECK(default_patch({{64, 8, 8}}, Grid{64, 4, 4}, 8) == Grid{64, 4, 4});
}

TEST_CASE("patches are centred on present foreground at the stated rate", "[patch]") {
  // 10 x 12 x 14 voxels: class 1 a block, class 3 a small block, class 2 absent.
  const Grid grid{10, 12, 14};
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(grid.voxels()), 0);
  const auto at = [&](std::int64_t z, std::int64_t y, std::int64_t x) -> std::uint8_t& {
    return labels[static_cast<std::size_t>((z * grid.h + y) * grid.w + x)];
  };
  for (std::int64_t z = 1; z < 5; ++z)
    for (std::int64_t y = 2; y < 8; ++y)
      for (std::int64_t x = 3; x < 9; ++x) at(z, y, x) = 1;
  at(8, 10, 12) = 3;
  at(8, 10, 13) = 3;
  const std::vector<LabelledVolume> cases{{grid, labels.data()}};
  const Grid patch{6, 6, 6};

  // round(b / 3) centred patches, at least one, last in the micro-batch.
  for (const auto& [batch, centred] :
       std::map<std::int64_t, std::int64_t>{{1, 1}, {2, 1}, {4, 1}, {5, 2}, {6, 2}, {9, 3}}) {
    Rng rng(5);
    const std::vector<PatchCut> cuts = draw_patches(rng, batch, cases, patch, 4);
    REQUIRE(static_cast<std::int64_t>(cuts.size()) == batch);
    for (std::int64_t i = 0; i < batch; ++i)
      CHECK((cuts[static_cast<std::size_t>(i)].centre_class >= 0) == (i >= batch - centred));
  }

  Rng rng(7);
  std::map<int, int> centred_on;
  const int rounds = 3000;
  for (int r = 0; r < rounds; ++r)
    for (const PatchCut& cut : draw_patches(rng, 6, cases, patch, 4)) {
      CHECK(cut.start.d >= 0);
      CHECK(cut.start.d + patch.d <= grid.d);
      CHECK(cut.start.h + patch.h <= grid.h);
      CHECK(cut.start.w + patch.w <= grid.w);
      if (cut.centre_class < 0) continue;
      ++centred_on[cut.centre_class];
      // The patch holds a voxel of the class it was centred on.
      bool holds = false;
      for (std::int64_t z = cut.start.d; z < cut.start.d + patch.d; ++z)
        for (std::int64_t y = cut.start.h; y < cut.start.h + patch.h; ++y)
          for (std::int64_t x = cut.start.w; x < cut.start.w + patch.w; ++x)
            holds = holds || at(z, y, x) == cut.centre_class;
      REQUIRE(holds);
    }
  // Two of six patches centred, each on class 1 or 3 (present) with probability 1/2.
  CHECK(centred_on.count(2) == 0);
  CHECK(centred_on[1] + centred_on[3] == 2 * rounds);
  CHECK(centred_on[1] == Approx(rounds).epsilon(0.05));
  CHECK(centred_on[3] == Approx(rounds).epsilon(0.05));
}

TEST_CASE("an axis shorter than the patch is padded, and the same seed cuts the same patches",
          "[patch]") {
  const Grid grid{10, 12, 5};
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(grid.voxels()), 0);
  labels[labels.size() - 1] = 1;
  const std::vector<LabelledVolume> cases{{grid, labels.data()}, {grid, labels.data()}};
  Rng a(3), b(3);
  for (int r = 0; r < 200; ++r) {
    const std::vector<PatchCut> x = draw_patches(a, 3, cases, {8, 8, 8}, 2),
                                y = draw_patches(b, 3, cases, {8, 8, 8}, 2);
    for (std::size_t i = 0; i < x.size(); ++i) {
      CHECK(x[i].start.w == 0);  // 5 voxels padded to 8: the only start
      CHECK(x[i].start == y[i].start);
      CHECK(x[i].case_index == y[i].case_index);
    }
  }
}
