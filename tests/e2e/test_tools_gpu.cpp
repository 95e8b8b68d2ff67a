// The CUDA twin of the CPU's resume test (label gpu-e2e): an augmented run in mixed precision
// with --deterministic, interrupted and resumed, ends bit for bit as an uninterrupted one. Without
// --deterministic cuDNN's fastest algorithms, some non-deterministic and picked by timing in
// each process, would make the two runs differ.
#include <catch2/catch.hpp>

#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d::testing;

TEST_CASE("a deterministic run on CUDA, interrupted and resumed, ends as an uninterrupted one",
          "[e2e][gpu]") {
  const std::string trainer = TRAINER_PATH;
  const std::string flags =
      " --device cuda --precision fp16 --deterministic --epochs 3 --augment nnunet" + kTinyRun;
  const auto straight = scratch_folder("gpu_straight"), broken = scratch_folder("gpu_broken");
  const ToolResult first = run_command(trainer + " --out " + straight.string() + flags);
  INFO(first.output);
  REQUIRE(first.code == 0);
  CHECK_THAT(first.output, Catch::Contains("cuDNN planning:"));
  const ToolResult stopped =
      run_command(trainer + " --out " + broken.string() + flags + " --interrupt-after 8");
  INFO(stopped.output);
  REQUIRE(stopped.code == 130);
  const ToolResult resumed = run_command(trainer + " --resume " + broken.string());
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  check_same_run(straight, broken);
}
