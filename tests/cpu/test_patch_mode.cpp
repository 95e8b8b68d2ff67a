// Patch mode's pieces around the planning: cutting a patch from a padded volume, the network
// through the sliding window (batch-independent, a distribution per voxel, mirroring undone),
// and the resampled dataset with its cache of volumes of any shape.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "io/phantom.h"
#include "io/resampled.h"
#include "kernels/flip.h"
#include "layers/window_inference.h"
#include "runtime/error.h"
#include "runtime/half.h"
#include "tests/support/test_data.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

TEST_CASE("a patch reaching into the padding is cut with zeros and label 0", "[patch]") {
  const Grid grid{3, 4, 10};  // smaller than the patch along d and h
  std::vector<float> image(static_cast<std::size_t>(grid.voxels()));
  std::vector<std::uint8_t> labels(image.size());
  std::iota(image.begin(), image.end(), 1.0f);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::uint8_t>(1 + i % 3);
  const LabelledVolume v{grid, labels.data()};
  const Grid patch{4, 8, 4};
  // Padded: d 3 -> 4 (0 before, 1 after), h 4 -> 8 (2 before, 2 after); w starts at 6 of 10.
  const PatchCut cut{0, {0, 0, 6}, -1};
  std::vector<float> image_out(static_cast<std::size_t>(patch.voxels()));
  std::vector<std::uint8_t> labels_out(image_out.size());
  cut_patch(v, image.data(), 1, cut, patch, image_out.data(), labels_out.data());
  for (std::int64_t z = 0; z < patch.d; ++z)
    for (std::int64_t y = 0; y < patch.h; ++y)
      for (std::int64_t x = 0; x < patch.w; ++x) {
        const auto o = static_cast<std::size_t>((z * patch.h + y) * patch.w + x);
        const std::int64_t vz = z, vy = y - 2, vx = x + 6;
        const bool inside = vz < grid.d && vy >= 0 && vy < grid.h;
        const auto at = static_cast<std::size_t>((vz * grid.h + vy) * grid.w + vx);
        INFO("patch voxel " << z << "," << y << "," << x);
        REQUIRE(image_out[o] == (inside ? image[at] : 0.0f));
        REQUIRE(labels_out[o] == (inside ? labels[at] : 0));
      }
}

TEST_CASE("the network through the sliding window: one distribution per voxel, whatever the batch",
          "[patch][sliding_window]") {
  const UNetConfig config{1, 3, 2, 2};
  const Grid patch{4, 8, 12}, grid{7, 9, 30};  // padded along d, several windows along w
  UNet3D one(config, Device::cpu, Precision::f32, 1, patch),
      three(config, Device::cpu, Precision::f32, 3, patch);
  one.parameters().initialize(11);
  three.parameters().initialize(11);
  std::vector<float> volume(static_cast<std::size_t>(grid.voxels()));
  for (std::size_t i = 0; i < volume.size(); ++i)
    volume[i] = static_cast<float>(std::cos(0.05 * static_cast<double>(i)));
  const std::vector<float> a = window_probabilities(one, volume, grid, {0.5, false}),
                           b = window_probabilities(three, volume, grid, {0.5, false});
  REQUIRE(a.size() == volume.size() * 3);
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - b[i]));
  CHECK(worst < 1e-5);  // the same windows; only the convolutions' batching differs
  for (std::size_t v = 0; v < volume.size(); ++v)
    REQUIRE(a[3 * v] + a[3 * v + 1] + a[3 * v + 2] == Approx(1.0).epsilon(1e-5));

  // Mirror averaging: each flip undone, so a mirrored input gives the mirrored output.
  const std::vector<float> m = window_probabilities(one, volume, grid, {0.5, true});
  const std::vector<float> flipped =
      window_probabilities(one, mirrored(volume, grid, 1, kFlipW), grid, {0.5, true});
  const std::vector<float> back = mirrored(flipped, grid, 3, kFlipW);
  worst = 0;
  for (std::size_t i = 0; i < m.size(); ++i)
    worst = std::max(worst, std::abs(double(m[i]) - back[i]));
  CHECK(worst < 1e-5);
  CHECK(m != a);  // the other seven flips did change something

  // The sums kept in f16 (as where the network runs in f16), mirroring included: the f32
  // probabilities to f16's precision.
  Tensor half({1, grid.d, grid.h, grid.w, 3}, DType::f16, Device::cpu);
  window_probabilities(one, volume, grid, {0.5, true}, half);
  worst = 0;
  for (std::size_t i = 0; i < m.size(); ++i)
    worst = std::max(worst, std::abs(double(to_float(half.data_as<Half>()[i])) - m[i]));
  CHECK(worst > 0);
  CHECK(worst < 5e-3);
}

TEST_CASE("mirroring twice along the same axes is the identity", "[patch]") {
  const Grid grid{2, 3, 5};
  std::vector<float> v(static_cast<std::size_t>(grid.voxels() * 2));
  std::iota(v.begin(), v.end(), 0.0f);
  for (unsigned axes = 0; axes < 8; ++axes)
    CHECK(mirrored(mirrored(v, grid, 2, axes), grid, 2, axes) == v);
  CHECK(mirrored(v, grid, 2, kFlipW)[0] == v[2 * 4]);  // x = 4, channel 0
}

TEST_CASE("a dataset resampled to a spacing keeps each volume's grid, and its cache holds them",
          "[patch][cache]") {
  const fs::path dir = scratch_folder("resampled_dataset");
  write_phantom_dataset((dir / "data").string(), 3, 40, 32, 16, 7);
  const DatasetIndex index = discover_dataset((dir / "data").string(), DatasetLayout::automatic);
  const Spacing target{30.0, 12.0, 9.0};  // mm along z, y, x
  const CacheOptions cache{true, (dir / "cache").string()};
  PreprocessReport first, second;
  const ResampledDataset a = resample_dataset(index, target, 0, Device::cpu, cache, &first);
  const ResampledDataset b = resample_dataset(index, target, 0, Device::cpu, cache, &second);
  CHECK_FALSE(first.from_cache);
  CHECK(second.from_cache);
  REQUIRE(a.volumes.size() == 3);
  REQUIRE(b.volumes.size() == 3);
  // 410 x 410 x 320 mm over 40 x 32 x 16: x 10.25 mm -> 410 / 9 = 45.6 -> 46; y 12.8125 -> 34;
  // z 20 -> 10.67 -> 11.
  CHECK(a.volumes[0].grid == Grid{11, 34, 46});
  CHECK(a.spacing == target);
  CHECK(b.spacing == target);
  CHECK(b.num_classes == a.num_classes);
  CHECK(b.class_names == a.class_names);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(b.volumes[i].grid == a.volumes[i].grid);
    CHECK(b.volumes[i].image == a.volumes[i].image);
    CHECK(b.volumes[i].labels == a.volumes[i].labels);
    CHECK(b.cases[i].geometry.nx == 40);
    // z-scored: mean 0, population std 1.
    const std::vector<float>& image = a.volumes[i].image;
    double sum = 0, squares = 0;
    for (const float x : image) sum += x, squares += double(x) * x;
    const auto n = static_cast<double>(image.size());
    CHECK(sum / n == Approx(0).margin(1e-4));
    CHECK(squares / n == Approx(1).epsilon(1e-4));
  }
  // Another spacing is another cache entry.
  PreprocessReport third;
  const ResampledDataset c =
      resample_dataset(index, {20.0, 12.0, 9.0}, 0, Device::cpu, cache, &third);
  CHECK_FALSE(third.from_cache);
  CHECK(c.volumes[0].grid == Grid{16, 34, 46});
}

TEST_CASE("patch-mode triples are x,y,z for the user and (z, y, x) inside", "[patch]") {
  CHECK(spacing_of_xyz("0.5,1,2.5", "--spacing") == Spacing{2.5, 1, 0.5});
  CHECK(grid_of_xyz("64,48,32", "--patch") == Grid{32, 48, 64});
  CHECK(grid_of_xyz("32", "--patch") == Grid{32, 32, 32});
  CHECK(xyz_text(Grid{32, 48, 64}) == "64,48,32");
  CHECK(spacing_of_xyz(xyz_text(Spacing{2.5, 1.1, 0.3}), "x") == Spacing{2.5, 1.1, 0.3});
  CHECK_THROWS_WITH(spacing_of_xyz("1,0,1", "--spacing"), Catch::Contains("--spacing"));
  CHECK_THROWS_WITH(grid_of_xyz("64,48.5,32", "--patch"), Catch::Contains("integers"));
  CHECK_THROWS_WITH(grid_of_xyz("64,48", "--patch"), Catch::Contains("1 or 3 values"));
}
