// tools/device_check.sh --dry-run: every stage of the GPU machine's check runs here against
// this build, so that the one run on a GPU can fail only for GPU reasons.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d::testing;
namespace fs = std::filesystem;

TEST_CASE("device_check's dry run passes every stage and leaves at most 8 files", "[e2e]") {
  const fs::path out = scratch_folder("device_check");
  const ToolResult r = run_command("UNET3D_BUILD_DIR=" + std::string(BUILD_DIR) + " bash " +
                                   SOURCE_DIR + "/tools/device_check.sh --dry-run " + out.string());
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string summary = read_text(out / "summary.md");
  for (const char* stage : {"versions", "build", "gpu_tests", "nccl", "probe", "memcheck", "bench",
                            "pytorch", "training"})
    CHECK_THAT(summary, Catch::Contains(std::string("| ") + stage + " | "));
  CHECK_THAT(summary, !Catch::Contains("| FAIL |"));
  CHECK_THAT(summary, Catch::Contains("| bench | ok |"));
  CHECK_THAT(summary, Catch::Contains("| training | ok |"));
  int files = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(out)) {
    INFO(e.path());
    CHECK(e.is_regular_file());
    CHECK(e.file_size() < (std::uintmax_t{16} << 20));
    ++files;
  }
  CHECK(files <= 8);
  for (const char* file : {"summary.md", "device_check.log", "gpu_tests.log", "cudnn_probe.md",
                           "memcheck.log", "bench.json", "pytorch.txt", "metrics.csv"})
    CHECK(fs::exists(out / file));
}
