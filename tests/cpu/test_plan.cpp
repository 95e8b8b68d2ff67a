// The plan's rules on hand-made fingerprints, each against figures worked out by hand from
// docs/model.md's rules; the fingerprint of a small dataset against numpy's definitions; plan.json
// read back.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "io/preprocess.h"
#include "runtime/atomic_file.h"
#include "tests/support/error_of.h"
#include "tests/support/test_data.h"
#include "tools/model/network_text.h"
#include "tools/plan/plan_file.h"
#include "tools/plan/plan_rules.h"
#include "tools/run/memory_budget.h"

using namespace unet3d;

namespace {

// `count` cases of one native grid and spacing (z, y, x), one channel named `channel`.
Fingerprint uniform(std::size_t count, Grid shape, Spacing spacing,
                    const std::string& channel = "") {
  Fingerprint f;
  f.shapes.assign(count, shape);
  f.spacings.assign(count, spacing);
  f.channel_names = {channel};
  f.intensities = {{100, 20, 40, 160, 1000}};
  f.class_voxels = {1000, 100};
  f.class_cases = {static_cast<std::int64_t>(count), static_cast<std::int64_t>(count)};
  return f;
}

PlanTarget roomy() {
  PlanTarget t;
  t.memory_bytes = 1e12;  // memory never binds
  t.features = 4;
  t.max_features = 32;
  return t;
}

std::string kernels_xyz(const Plan& p) {
  return kernel_sizes_text(p.network);
}
std::string pools_xyz(const Plan& p) {
  return pool_sizes_text(p.network);
}

}  // namespace

TEST_CASE("the plan's spacing: the median, or the coarse axis's 10th percentile past 3x",
          "[plan]") {
  // Isotropic-ish: medians (1, 1, 1), no axis 3 times another.
  CHECK(plan_spacing({{1, 1, 1}, {1.2, 0.9, 1}, {0.8, 1, 1.1}}) == Spacing{1, 1, 1});
  // z's median 3.6 is 6 times 0.6: z takes the 10th percentile of [3.0, 3.6, 3.6, 3.6, 4.0],
  // rank 0.4 -> 3.0 + 0.4 * 0.6 = 3.24.
  const Spacing s = plan_spacing(
      {{3.6, 0.6, 0.6}, {3.0, 0.6, 0.6}, {4.0, 0.6, 0.6}, {3.6, 0.5, 0.5}, {3.6, 0.7, 0.7}});
  CHECK(s[0] == Approx(3.24).epsilon(1e-12));
  CHECK(s[1] == 0.6);
  CHECK(s[2] == 0.6);
}

TEST_CASE("the plan of an isotropic dataset pools every axis alike and grows the batch to 5 %",
          "[plan]") {
  // 100 cases of 40x48x56 (z, y, x) at 1 mm. Levels: 40,48,56 -> 20,24,28 -> 10,12,14 -> 5,6,7,
  // where no axis keeps 4 voxels by halving: depth 3, 2x2x2 pooling and 3x3x3 kernels. The patch
  // is the median grid (multiples of 8 already); a batch may hold 5 % of 100 x 107520 voxels:
  // 537600 / 107520 = 5.
  const Plan p = make_plan(uniform(100, {40, 48, 56}, {1, 1, 1}), 2, roomy());
  CHECK(p.spacing == Spacing{1, 1, 1});
  CHECK(p.median_shape == Grid{40, 48, 56});
  CHECK(p.patch == Grid{40, 48, 56});
  CHECK(p.network.depth == 3);
  CHECK(kernels_xyz(p) == "3,3,3;3,3,3;3,3,3;3,3,3");
  CHECK(pools_xyz(p) == "2,2,2;2,2,2;2,2,2");
  CHECK(p.batch == 5);
  CHECK(p.network.deep_supervision);
  CHECK(normalization_text(p.normalization, 1) == "zscore");
}

TEST_CASE("the plan of 0.6x0.6x3.6 mm keeps z unpooled and its kernels flat until z is finest",
          "[plan]") {
  // Spacing (3.6, 0.6, 0.6), grid 20x160x160. Level 1: z is 6 times the finest: kernel 1, no
  // pooling; y, x pool (spacing 1.2). Level 2: z 3.6 > 2 x 1.2: flat again (y, x at 2.4).
  // Level 3: 3.6 <= 4.8: z pools too, kernel 3 (7.2, 4.8, 4.8). Level 4: all pool (14.4, 9.6,
  // 9.6; grid 5x10x10). Level 5: z has 5 voxels (2 after halving): y, x alone (5x5x5). Then
  // nothing keeps 4 voxels: depth 5, the bottleneck at (14.4, 19.2, 19.2) with 3x3x3 kernels.
  // Total pooling z 4, y and x 32: the patch 20x160x160 already fits it.
  const Plan p = make_plan(uniform(10, {20, 160, 160}, {3.6, 0.6, 0.6}), 2, roomy());
  CHECK(p.spacing == Spacing{3.6, 0.6, 0.6});
  CHECK(p.patch == Grid{20, 160, 160});
  CHECK(p.network.depth == 5);
  CHECK(kernels_xyz(p) == "3,3,1;3,3,1;3,3,3;3,3,3;3,3,3;3,3,3");
  CHECK(pools_xyz(p) == "2,2,1;2,2,1;2,2,2;2,2,2;2,2,1");
  // 5 % of 10 x 512000 voxels is half a patch: the batch stays at 2.
  CHECK(p.batch == 2);
}

TEST_CASE("the plan of a dataset with one short axis stops pooling where that axis is finest",
          "[plan]") {
  // 6x64x64 at 1 mm: z never keeps 4 voxels by halving. Level 1: y, x pool (spacing 2, twice
  // z's 1). Level 2: 2 <= 2 x 1: y, x pool again (spacing 4). Level 3: 4 > 2: nothing pools.
  // Depth 2; the bottleneck's y and x (4 mm) are more than twice z's: kernel 3 along z alone.
  const Plan p = make_plan(uniform(4, {6, 64, 64}, {1, 1, 1}), 2, roomy());
  CHECK(p.network.depth == 2);
  CHECK(kernels_xyz(p) == "3,3,3;3,3,3;1,1,3");
  CHECK(pools_xyz(p) == "2,2,1;2,2,1");
  CHECK(p.patch == Grid{6, 64, 64});
  CHECK_FALSE(p.network.deep_supervision);  // depth 2 has no level for it
}

TEST_CASE("a tight memory budget shrinks the axis largest relative to the median shape", "[plan]") {
  // The median 40x48x56 (z, y, x) has ratios 1, 1, 1: z shrinks first (the tie goes to z) by its
  // total pooling 8, to 32; then y and x tie at 1 against z's 0.8, and y shrinks (40), though x
  // is the longest; then x (1 against 0.83 and 0.8): 48. A budget of exactly a batch of 2 at
  // each of these patches (all of the same depth-3 topology) stops there.
  const Fingerprint f = uniform(100, {40, 48, 56}, {1, 1, 1});
  PlanTarget target = roomy();
  UNetConfig expected{1, 2, target.features, 3};
  expected.max_features = target.max_features;
  expected.norm = target.norm;
  expected.deep_supervision = true;
  for (const Grid patch : {Grid{32, 48, 56}, Grid{32, 40, 56}, Grid{32, 40, 48}}) {
    target.memory_bytes = training_step_memory(expected, 2, patch, 1).total();
    const Plan p = make_plan(f, 2, target);
    CHECK(p.patch == patch);
    CHECK(p.batch == 2);
    CHECK(p.step_bytes == target.memory_bytes);
  }
  // Nothing that pools fits one kilobyte.
  target.memory_bytes = 1e3;
  const std::string message = testing::error_of([&] { make_plan(f, 2, target); }, ErrorKind::usage);
  CHECK_THAT(message, Catch::Contains("--memory-gb"));
}

TEST_CASE("a spacing or patch the user gives is planned around", "[plan]") {
  PlanTarget target = roomy();
  target.spacing = Spacing{2, 1, 1};
  target.patch = Grid{12, 40, 40};
  // At (2, 1, 1) mm: level 1 pools all three (z's 2 mm is at most twice 1; 12 -> 6); level 2 y
  // and x alone (z would keep 3 voxels); level 3 y and x again (5 and 5 voxels left); then
  // nothing keeps 4. Every kernel is 3 (no axis more than twice the finest). The patch stays.
  const Plan p = make_plan(uniform(100, {40, 48, 56}, {1, 1, 1}), 2, target);
  CHECK(p.spacing == Spacing{2, 1, 1});
  CHECK(p.patch == Grid{12, 40, 40});
  CHECK(p.network.depth == 3);
  CHECK(pools_xyz(p) == "2,2,2;2,2,1;2,2,1");
  CHECK(kernels_xyz(p) == "3,3,3;3,3,3;3,3,3;3,3,3");
}

TEST_CASE("a channel named CT is clipped and z-scored with the dataset's foreground figures",
          "[plan]") {
  Fingerprint f = uniform(4, {32, 32, 32}, {1, 1, 1}, "CT");
  f.channel_names = {"CT", "t2"};
  f.intensities = {{35.5, 120.25, -990, 1500, 5000}, {3, 2, 0, 9, 5000}};
  const Normalization n = plan_normalization(f);
  REQUIRE(n.size() == 2);
  CHECK(n[0] == ChannelNormalization{true, -990, 1500, 35.5, 120.25});
  CHECK_FALSE(n[1].ct);
  CHECK(normalization_text(n, 2) == "ct:-990,1500,35.5,120.25;zscore");
  f.channel_names = {"ct", "MRI"};  // any case
  CHECK(plan_normalization(f)[0].ct);
  f.intensities[0].samples = 0;  // no foreground: nothing to clip to
  CHECK_THAT(testing::error_of([&] { plan_normalization(f); }, ErrorKind::data),
             Catch::Contains("channel 0 (CT) has no foreground voxel"));
}

TEST_CASE("the fingerprint's figures are numpy's over the foreground of every case", "[plan]") {
  // Two cases of 2x2x3 voxels; labels > 0 mark the foreground.
  const auto make = [](std::vector<float> image, std::vector<std::uint8_t> labels, double dz) {
    LoadedCase c;
    c.image.geometry.nx = 3, c.image.geometry.ny = 2, c.image.geometry.nz = 2;
    c.image.geometry.dx = 0.5, c.image.geometry.dy = 0.75, c.image.geometry.dz = dz;
    c.image.channels = 1;
    c.image.values = std::move(image);
    c.labels = std::move(labels);
    return c;
  };
  const std::vector<LoadedCase> cases = {
      make({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {0, 1, 1, 0, 2, 0, 0, 0, 0, 1, 0, 0}, 2),
      make({-4, 0, 0.5f, 8, 0, 0, 0, 0, 0, 0, 0, 100}, {2, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 1}, 3)};
  const Fingerprint f = fingerprint_cases(2, [&](std::size_t i) { return cases[i]; }, 0, {"T2"});
  // The foreground values, in case and voxel order: 2, 3, 5, 10, -4, 0.5, 8, 100.
  const std::vector<double> v = {2, 3, 5, 10, -4, 0.5, 8, 100};
  double mean = 0;
  for (const double x : v) mean += x / 8;
  double var = 0;
  for (const double x : v) var += (x - mean) * (x - mean) / 8;
  // Sorted: -4, 0.5, 2, 3, 5, 8, 10, 100. numpy's 0.5th percentile: rank 0.035 between -4 and
  // 0.5; the 99.5th: rank 6.965 between 10 and 100.
  const double p005 = -4 + 0.035 * 4.5, p995 = 10 + 0.965 * 90;
  REQUIRE(f.intensities.size() == 1);
  CHECK(f.intensities[0].samples == 8);
  CHECK(f.intensities[0].mean == Approx(mean).epsilon(1e-12));
  CHECK(f.intensities[0].std == Approx(std::sqrt(var)).epsilon(1e-12));
  CHECK(f.intensities[0].p00_5 == Approx(p005).epsilon(1e-12));
  CHECK(f.intensities[0].p99_5 == Approx(p995).epsilon(1e-12));
  CHECK(f.class_voxels == std::vector<std::int64_t>{16, 4, 4});
  CHECK(f.class_cases == std::vector<std::int64_t>{2, 2, 2});
  CHECK(f.shapes == std::vector<Grid>{{2, 2, 3}, {2, 2, 3}});
  CHECK(f.spacings == std::vector<Spacing>{{2, 0.75, 0.5}, {3, 0.75, 0.5}});
}

TEST_CASE("plan.json gives back the plan's settings, and refuses what a plan cannot set",
          "[plan]") {
  const Fingerprint f = uniform(10, {20, 160, 160}, {3.6, 0.6, 0.6});
  const PlanTarget target = roomy();
  const Plan p = make_plan(f, 2, target);
  const std::string folder = testing::scratch_folder("plan_json").string();
  write_file_atomically(folder + "/plan.json", plan_json(p, target, f));
  const PlanSettings settings = read_plan_settings(folder + "/plan.json");
  CHECK(settings == plan_settings(p));
  CHECK(settings.at("spacing") == "0.59999999999999998,0.59999999999999998,3.6000000000000001");
  CHECK(settings.at("patch") == "160,160,20");
  CHECK(settings.at("pool-sizes") == "2,2,1;2,2,1;2,2,2;2,2,2;2,2,1");
  CHECK(settings.at("max-features") == "32");
  write_file_atomically(folder + "/bad.json",
                        "{\"format\": \"unet3d-plan-v1\", \"settings\": {\"lr\": \"1\"}}");
  const std::string message =
      testing::error_of([&] { read_plan_settings(folder + "/bad.json"); }, ErrorKind::data);
  CHECK_THAT(message, Catch::Contains(folder + "/bad.json"));
  CHECK_THAT(message, Catch::Contains("'lr'"));
}

TEST_CASE("CT's normalisation clips to [lo, hi], then z-scores with the dataset's figures",
          "[plan][preprocess]") {
  NiftiVolume v;
  v.geometry.nx = 4, v.geometry.ny = 1, v.geometry.nz = 1;
  v.geometry.dx = v.geometry.dy = v.geometry.dz = 1;
  v.channels = 2;
  v.values = {-2000, -100, 300, 5000, 1, 2, 3, 4};  // channel 0 (CT), then channel 1
  const Normalization n = parse_normalization("ct:-1000,1000,100,50;zscore", 2, "--normalization");
  Tensor out({1, 1, 1, 4, 2}, DType::f32);
  preprocess_channels(v, out, "ct", n);
  const float* y = out.data_as<float>();
  const double ct[4] = {(-1000 - 100) / 50.0, (-100 - 100) / 50.0, (300 - 100) / 50.0,
                        (1000 - 100) / 50.0};
  const double mri_std = std::sqrt(1.25);  // of 1, 2, 3, 4 (population), mean 2.5
  for (int i = 0; i < 4; ++i) {
    CHECK(y[2 * i] == Approx(ct[i]).epsilon(1e-6));
    CHECK(y[2 * i + 1] == Approx((i + 1 - 2.5) / mri_std).epsilon(1e-6));
  }
  CHECK(normalization_text(n, 2) == "ct:-1000,1000,100,50;zscore");
  CHECK(normalization_text({}, 3) == "zscore;zscore;zscore");
  for (const char* bad : {"ct:1,0,0,1", "ct:0,1,0,0", "ct:0,1,0", "minmax", "zscore;zscore;zscore",
                          "zscore;", ";zscore"})
    CHECK_THAT(testing::error_of([&] { parse_normalization(bad, 2, "--normalization"); },
                                 ErrorKind::usage),
               Catch::Contains(std::string("--normalization: '") + bad + "'"));
}
