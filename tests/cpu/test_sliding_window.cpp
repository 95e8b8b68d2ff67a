// Sliding-window inference: window starts, padding and weights against hand-computed values,
// an identity predictor returning its input, every voxel covered, and MONAI's own figures
// (tests/fixtures/monai_sliding_window.py).
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "io/json.h"
#include "layers/sliding_window.h"
#include "runtime/error.h"
#include "runtime/half.h"
#include "runtime/tensor.h"
#include "tests/support/tool_runs.h"

using namespace unet3d;

namespace {

using Starts = std::vector<std::int64_t>;

std::vector<float> numbers(const json::Value& array) {
  std::vector<float> out;
  for (const json::Value& v : array.items) out.push_back(std::stof(v.text));
  return out;
}

Grid grid_of(const json::Value& array) {
  return {array.items[0].as_int("z"), array.items[1].as_int("y"), array.items[2].as_int("x")};
}

}  // namespace

TEST_CASE("windows start where MONAI's do", "[sliding_window]") {
  CHECK(window_starts(8, 8, 0.5) == Starts{0});                         // n == p
  CHECK(window_starts(9, 8, 0.5) == Starts{0, 1});                      // n = p + 1
  CHECK(window_starts(10, 8, 0.5) == Starts{0, 2});                     // the last moved back
  CHECK(window_starts(100, 32, 0.5) == Starts{0, 16, 32, 48, 64, 68});  // large n
  CHECK(window_starts(12, 4, 0.25) == Starts{0, 3, 6, 8});              // step int(4 * 0.75) = 3
  CHECK(window_starts(5, 2, 0.9) == Starts{0, 1, 2, 3});                // step at least 1
  CHECK_THROWS_AS(window_starts(5, 8, 0.5), Error);                     // n < p: pad first
  CHECK_THROWS_AS(window_starts(9, 8, 1.0), Error);
}

TEST_CASE("an axis shorter than the patch is padded half before, the rest after",
          "[sliding_window]") {
  CHECK(window_padding(5, 8).before == 1);
  CHECK(window_padding(5, 8).after == 2);
  CHECK(window_padding(6, 8).before == 1);
  CHECK(window_padding(6, 8).after == 1);
  CHECK(window_padding(8, 8).before + window_padding(8, 8).after == 0);
  CHECK(window_padding(9, 8).before + window_padding(9, 8).after == 0);
}

TEST_CASE("the importance map is the clamped Gaussian outer product", "[sliding_window]") {
  // p = 4: sigma 0.5, t = -1.5 ... 1.5, exp(-2 t^2): 0.011109 at the ends, 0.606531 inside.
  const std::vector<float> w = importance_map({4, 4, 1});
  REQUIRE(w.size() == 16);
  const double end = std::exp(-4.5), inner = std::exp(-0.5);
  CHECK(w[5] == Approx(inner * inner).epsilon(1e-6));  // (1, 1)
  CHECK(w[4] == Approx(end * inner).epsilon(1e-6));    // (1, 0)
  CHECK(w[0] == Approx(1e-3).epsilon(1e-6));           // end * end = 1.2e-4, clamped up to 1e-3
  // Where the minimum is above 1e-3, nothing is clamped: p = 2, t = -0.5, 0.5, sigma 0.25.
  const std::vector<float> two = importance_map({2, 1, 1});
  CHECK(two[0] == Approx(std::exp(-2.0)).epsilon(1e-6));
}

TEST_CASE("an identity predictor through the sliding window returns its input, every voxel covered",
          "[sliding_window]") {
  for (const Grid& grid : {Grid{9, 7, 13}, Grid{3, 10, 5}, Grid{8, 8, 8}}) {
    INFO("grid " << grid.str());
    std::vector<float> volume(static_cast<std::size_t>(grid.d * grid.h * grid.w));
    for (std::size_t i = 0; i < volume.size(); ++i)
      volume[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)) + 1.5);
    int calls = 0;
    const std::vector<float> mean = sliding_window_mean(
        volume, grid, {4, 8, 6}, 1, 0.5, [&](const std::vector<float>& w, std::vector<float>& p) {
          ++calls;
          p = w;
        });
    REQUIRE(mean.size() == volume.size());
    for (std::size_t i = 0; i < volume.size(); ++i)
      REQUIRE(mean[i] == Approx(volume[i]).epsilon(1e-6));
    CHECK(calls > 1);
    // Three windows per call (the last call fewer) sum in the same order: the same bits.
    const int single_calls = calls;
    calls = 0;
    const std::vector<float> batched = sliding_window_mean(
        volume, grid, {4, 8, 6}, 1, 0.5,
        [&](const std::vector<float>& w, std::vector<float>& p) {
          ++calls;
          p = w;
        },
        3);
    CHECK(batched == mean);
    CHECK(calls == (single_calls + 2) / 3);
  }
}

TEST_CASE("the sliding-window mean is MONAI's", "[sliding_window]") {
  const std::string text =
      testing::read_text(std::string(FIXTURES_DIR) + "/monai_sliding_window.json");
  REQUIRE_FALSE(text.empty());  // the fixture is there
  const json::Value root = json::parse(text, "monai_sliding_window.json");
  int compared = 0;
  for (const json::Value& c : root.find("importance")->items) {
    const std::vector<float> want = numbers(*c.find("weights")),
                             got = importance_map(grid_of(*c.find("patch")));
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-6));
    ++compared;
  }
  for (const json::Value& c : root.find("windows")->items) {
    const Grid grid = grid_of(*c.find("volume")), patch = grid_of(*c.find("patch"));
    INFO("volume " << grid.str() << ", patch " << patch.str());
    const std::vector<float> input = numbers(*c.find("input")), want = numbers(*c.find("output"));
    // MONAI's predictor in the fixture: classes t and t * t + 0.25.
    const std::vector<float> got =
        sliding_window_mean(input, grid, patch, 2, std::stod(c.find("overlap")->text),
                            [](const std::vector<float>& w, std::vector<float>& p) {
                              for (std::size_t i = 0; i < w.size(); ++i) {
                                p[2 * i] = w[i];
                                p[2 * i + 1] = w[i] * w[i] + 0.25f;
                              }
                            });
    REQUIRE(got.size() == want.size());
    double worst = 0;
    for (std::size_t i = 0; i < got.size(); ++i)
      worst = std::max(worst, std::abs(double(got[i]) - want[i]));
    CHECK(worst < 1e-6);
    ++compared;
  }
  CHECK(compared == 5);
}

TEST_CASE("window sums kept in f16 give the f32 mean to 5e-3, padded or not", "[sliding_window]") {
  // A predictor of two classes whose probabilities vary over the window and from window to
  // window: p, 1 - p with p from the input voxel.
  const WindowPredictor predictor = [](const std::vector<float>& w, std::vector<float>& p) {
    for (std::size_t i = 0; i < w.size(); ++i) {
      const float v = 0.5f + 0.45f * std::sin(3.0f * w[i]);
      p[2 * i] = v, p[2 * i + 1] = 1.0f - v;
    }
  };
  // The second grid is shorter than the patch along y: its sums run in a padded volume.
  for (const Grid grid : {Grid{20, 18, 22}, Grid{20, 6, 22}}) {
    INFO("grid " << grid.str());
    std::vector<float> volume(static_cast<std::size_t>(grid.d * grid.h * grid.w));
    for (std::size_t i = 0; i < volume.size(); ++i)
      volume[i] = static_cast<float>(i % 37) * 0.1f + static_cast<float>(i / 997);
    const Grid patch{8, 8, 8};
    const std::vector<float> wide = sliding_window_mean(volume, grid, patch, 2, 0.5, predictor);
    Tensor half({1, grid.d, grid.h, grid.w, 2}, DType::f16, Device::cpu);
    sliding_window_mean(volume, grid, patch, 0.5, predictor, 1, half);
    double worst = 0;
    for (std::size_t i = 0; i < wide.size(); ++i)
      worst = std::max(worst, std::abs(double(to_float(half.data_as<Half>()[i])) - wide[i]));
    CHECK(worst > 0);  // the sums were f16's
    CHECK(worst < 5e-3);
  }
}
