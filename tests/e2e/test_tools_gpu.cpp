// The CUDA twins of CPU end-to-end tests (label gpu-e2e): an augmented run in mixed precision
// with --deterministic, interrupted and resumed, ends bit for bit as an uninterrupted one (without
// --deterministic cuDNN's fastest algorithms, some non-deterministic and picked by timing in
// each process, would make the two runs differ); and two input channels train in both modes.
#include <catch2/catch.hpp>

#include "tests/support/channel_data.h"
#include "tests/support/runner.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d::testing;

namespace {

// The trainer's refusal of a shape for which cuDNN offers no deterministic algorithm (its one
// line: nothing offered, or what was offered refused as not deterministic), or "" where it did
// not refuse for that reason.
std::string no_deterministic_algorithm(const ToolResult& r) {
  const std::size_t at = r.output.find("cuDNN offers no usable algorithm for ");
  if (r.code == 0 || at == std::string::npos) return "";
  const std::string line = r.output.substr(at, r.output.find('\n', at) - at);
  const bool for_determinism = line.find("not deterministic") != std::string::npos ||
                               line.find(" (0 offered") != std::string::npos;
  return for_determinism ? line : "";
}

}  // namespace

TEST_CASE("a deterministic run on CUDA, interrupted and resumed, ends as an uninterrupted one",
          "[e2e][gpu]") {
  const std::string trainer = TRAINER_PATH;
  const std::string flags =
      " --device cuda --precision fp16 --deterministic --epochs 3 --augment nnunet" + kTinyRun;
  const auto straight = scratch_folder("gpu_straight"), broken = scratch_folder("gpu_broken");
  const ToolResult first = run_command(trainer + " --out " + straight.string() + flags);
  INFO(first.output);
  // Whether cuDNN's heuristics offer a deterministic f16 NDHWC algorithm for every shape is the
  // card's and the library's to say; where one is missing the trainer refuses, naming the shape.
  if (const std::string missing = no_deterministic_algorithm(first); !missing.empty())
    skip_test("no deterministic algorithm: " + missing);
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

TEST_CASE("two input channels train on CUDA in both modes, augmented, in mixed precision",
          "[e2e][gpu][channels]") {
  const std::string trainer = TRAINER_PATH;
  const auto data = two_channel_dataset("gpu_channels_data");
  const std::string flags = " --data " + data.string() +
                            " --device cuda --precision fp16 --size 16 --features 4 --depth 2 "
                            "--batch 2 --lr 1e-2 --epochs 2 --no-cache --augment nnunet";
  for (const std::string mode : {" --mode resize", " --mode patch --patch 16,16,8 --iters 2"}) {
    const auto out = scratch_folder("gpu_channels_run");
    const ToolResult r = run_command(trainer + " --out " + out.string() + flags + mode);
    INFO(r.output);
    REQUIRE(r.code == 0);
    CHECK_THAT(read_text(out / "train.log"), Catch::Contains("2 input channel(s): T1, T2"));
    CHECK(std::filesystem::exists(out / "test" / "report.json"));
  }
}
