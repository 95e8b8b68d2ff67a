// predict's memory bound (tools/cohort/memory_bound.h) as its settings change it, the refusal of
// inputs that would not fit, and --memory-limit's sizes. The bound against what predict
// allocates is tests/e2e/test_predict_memory.cpp's.
#include <catch2/catch.hpp>
#include <string>

#include "runtime/error.h"
#include "tools/cohort/memory_bound.h"

using namespace unet3d;

namespace {

// A 256x256x128 single-channel int16 input.
InputExtent wide_input() {
  InputExtent e;
  e.name = "wide";
  e.geometry.nx = 256, e.geometry.ny = 256, e.geometry.nz = 128;
  e.voxel_bytes = 2;
  return e;
}

// One patch-mode model of 3 classes at 1 mm (so the grid is the input's), patch 64^3.
PredictSettings patch_settings(std::size_t cases) {
  ModelInfo m;
  m.mode = InputMode::patch;
  m.config.num_classes = 3;
  m.spacing = {1.0, 1.0, 1.0};
  m.patch = {64, 64, 64};
  PredictSettings s;
  s.models = {m};
  s.cases = cases;
  return s;
}

}  // namespace

TEST_CASE("the memory bound follows predict's settings", "[memory]") {
  const InputExtent in = wide_input();
  const std::int64_t n = in.geometry.voxels();
  PredictSettings s = patch_settings(1);
  const MemoryBound one = memory_bound(in, s);
  CHECK(one.device == 0);  // on the CPU every buffer is the host's
  CHECK(one.in_flight == 1);
  // Reading holds the stored bytes and their float32 values at least.
  CHECK(one.host >= n * (2 + 4));
  // f16 window sums save two bytes per class and voxel of the grid (here the native one).
  s.window_sums = DType::f16;
  CHECK(one.host - memory_bound(in, s).host == 3 * n * 2);
  s.window_sums = DType::f32;
  // --probabilities keeps the native probabilities and writes a planar copy of them.
  s.probabilities = true;
  CHECK(memory_bound(in, s).host >= one.host + 3 * n * 4);
  s.probabilities = false;
  // Overlapped, several cases are held at once; one case, or --no-pipeline, holds one.
  s.cases = 3;
  const MemoryBound overlapped = memory_bound(in, s);
  CHECK(overlapped.in_flight == 3);
  CHECK(overlapped.host >= one.host + 2 * n * 4);  // two read cases queued, at least
  s.overlapped = false;
  CHECK(memory_bound(in, s).host == one.host);
  CHECK(memory_bound(in, s).in_flight == 1);
}

TEST_CASE("on a GPU an ensemble's two native volumes count beside each member's work", "[memory]") {
  const InputExtent in = wide_input();
  const std::int64_t n = in.geometry.voxels();
  PredictSettings s = patch_settings(1);
  s.device = Device::cuda;
  s.models.front().spacing = {2.0, 2.0, 2.0};  // a grid of an eighth of the input's voxels
  const std::int64_t one_model = memory_bound(in, s).device;
  s.models.push_back(s.models.front());
  // ensemble_segmentation's sum and one (3 classes of f32 on the native grid) exist while each
  // member copies its channel to the device (4 bytes a voxel) and preprocesses it.
  CHECK(memory_bound(in, s).device >= 2 * n * 3 * 4 + n * 4 + n);
  CHECK(memory_bound(in, s).device >= one_model + 2 * n * 3 * 4);
}

TEST_CASE("an input whose bound exceeds the limit is refused, named", "[memory]") {
  const std::vector<InputExtent> inputs{wide_input()};
  const PredictSettings s = patch_settings(1);
  const std::int64_t bound = memory_bound(inputs[0], s).host, models = 1 << 20;
  MemoryLimits limits;
  limits.host_available = bound;  // the models are already loaded: only the buffers count
  CHECK_NOTHROW(check_memory(inputs, s, models, 0, limits, false));
  limits.host_available = bound - 1;
  CHECK_THROWS_WITH(check_memory(inputs, s, models, 0, limits, false),
                    Catch::Contains("an input would not fit in memory, so none was segmented: "
                                    "wide (256x256x128 voxels, 1 channel) needs up to"));
  // --memory-limit covers the models too.
  limits.host_limit = bound + models;
  CHECK_NOTHROW(check_memory(inputs, s, models, 0, limits, false));
  limits.host_limit = bound + models - 1;
  try {
    check_memory(inputs, s, models, 0, limits, false);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 1);
    CHECK_THAT(e.what(), Catch::Contains("--memory-limit"));
  }
}

TEST_CASE("the memory limit reads bytes and binary units", "[memory]") {
  CHECK(parse_byte_size("8G", "memory-limit") == std::int64_t{8} << 30);
  CHECK(parse_byte_size("512m", "memory-limit") == std::int64_t{512} << 20);
  CHECK(parse_byte_size("1.5K", "memory-limit") == 1536);
  CHECK(parse_byte_size("100000", "memory-limit") == 100000);
  for (const char* bad : {"lots", "8X", "8GB", "-1G", "0", "", "nan"})
    CHECK_THROWS_WITH(parse_byte_size(bad, "memory-limit"),
                      Catch::Contains(std::string("--memory-limit '") + bad + "': not a size"));
  CHECK(byte_text(512) == "512 bytes");
  CHECK(byte_text(std::int64_t{3} << 19) == "1.5 MiB");
  CHECK(byte_text(std::int64_t{5} << 29) == "2.50 GiB");
}
