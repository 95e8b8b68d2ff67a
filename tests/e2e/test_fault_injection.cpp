// A kill or a failed write at every file operation of a run, one operation after another, through
// the atomic writer's fault-injection seam (UNET3D_FAULT_AT, runtime/atomic_file.h): each leaves a
// run folder that resumes (or, before config.json exists, starts again) and ends bit for bit where
// an uninterrupted run ends, with no half-written file left behind; and a folder whose files are
// not one pair (another run's model, a lost training state) is refused, not trained over.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "runtime/atomic_file.h"
#include "tests/support/programs.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

// Two epochs with a validation each and a test phase, on few tiny phantoms: every kind of file a
// run writes (config, split, metrics, plots, best, the last pair and its previous one, the report
// and its pictures), in as few operations as that allows.
const std::string kRun =
    " --device cpu --size 16 --features 2 --depth 2 --batch 1 --accum 1 --phantoms 8 "
    "--phantom-size 24,24,12 --lr 1e-2 --epochs 2";

// For k = 1, 2, ... until a run ends before its k-th file operation: the run cut at operation k
// (`kind`: "fail" or "exit"), then resumed. Returns how many operations a whole run has.
int sweep(const std::string& kind, int expected_code) {
  const fs::path straight = scratch_folder("faults_straight_" + kind);
  const Result whole =
      unet3d::testing::run_command(kTrainer + " --out " + straight.string() + kRun);
  INFO(whole.output);
  REQUIRE(whole.code == 0);
  for (int k = 1;; ++k) {
    const fs::path cut = scratch_folder("faults_" + kind);
    const Result stopped =
        unet3d::testing::run_command("UNET3D_FAULT_AT=" + kind + ":" + std::to_string(k) + " " +
                                     kTrainer + " --out " + cut.string() + kRun);
    INFO("file operation " << k << " (" << kind << ")\n" << stopped.output);
    if (stopped.output.find("fault injected at file operation") == std::string::npos) {
      REQUIRE(stopped.code == 0);  // the run has fewer operations than k
      return k - 1;
    }
    CHECK(stopped.code == expected_code);
    // Until config.json exists nothing has run: the same command starts the run again.
    const bool started = fs::exists(cut / "config.json");
    const Result again = unet3d::testing::run_command(
        kTrainer + (started ? " --resume " + cut.string() : " --out " + cut.string() + kRun));
    INFO(again.output);
    REQUIRE(again.code == 0);
    unet3d::testing::check_same_run(straight, cut);
    CHECK(unet3d::testing::files_named(cut, ".partial-") == 0);
    CHECK_FALSE(fs::exists(cut / "previous.safetensors"));
    CHECK_FALSE(fs::exists(cut / "previous.train.safetensors"));
  }
}

}  // namespace

TEST_CASE("a folder whose checkpoint files are not one pair is never trained over",
          "[e2e][reliability][faults]") {
  const fs::path a = scratch_folder("not_a_pair_a"), b = scratch_folder("not_a_pair_b");
  REQUIRE(unet3d::testing::run_command(kTrainer + " --out " + a.string() + kRun).code == 0);
  std::string other_rate = kRun;  // the same split and steps, other weights
  other_rate.replace(other_rate.find("--lr 1e-2"), 9, "--lr 2e-2");
  REQUIRE(unet3d::testing::run_command(kTrainer + " --out " + b.string() + other_rate).code == 0);
  // Another run's model of the same step and epoch: only the data checksum tells them apart.
  fs::copy_file(b / "last.safetensors", a / "last.safetensors",
                fs::copy_options::overwrite_existing);
  auto r = unet3d::testing::run_command(kTrainer + " --resume " + a.string());
  INFO(r.output);
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("holds no whole checkpoint pair") &&
                           Catch::Contains("cannot be resumed"));
  // A training state lost after the first epochs.
  fs::remove(b / "last.train.safetensors");
  r = unet3d::testing::run_command(kTrainer + " --resume " + b.string());
  INFO(r.output);
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("holds no whole checkpoint pair"));
}

TEST_CASE("a failed write at any file operation leaves a run that resumes to the same end",
          "[e2e][reliability][faults]") {
  // A full disk at any moment: the write fails with a runtime error (exit 1).
  CHECK(sweep("fail", 1) > 40);
}

TEST_CASE("a kill at any file operation leaves a run that resumes to the same end",
          "[e2e][reliability][faults]") {
  CHECK(sweep("exit", unet3d::kFaultExitCode) > 40);
}
