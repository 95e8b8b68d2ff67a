// The trainer under mpirun, end to end on 2 ranks of one thread: a run interrupted and resumed
// ends as an uninterrupted one did, bit for bit; a resume with another number of ranks is
// refused; a killed rank ends the job, which never hangs; a failing rank 0 ends every rank with
// its exit code, and another rank's error reaches train.log; SIGTERM to the launcher leaves a
// folder that resumes.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"
#include "tests/support/two_ranks.h"

using unet3d::testing::kEnvironment;
using unet3d::testing::kTwoRanks;
using unet3d::testing::read_text;
using unet3d::testing::run_command;
using unet3d::testing::scratch_folder;
using unet3d::testing::ToolResult;
namespace fs = std::filesystem;

namespace {

const std::string kTrainer = TRAINER_PATH;
const std::string kTiny = " --device cpu --threads 1 --no-cache" + unet3d::testing::kTinyRun;

struct RunFolders {
  fs::path straight, broken;
};

// Runs `flags` for 2 epochs on 2 ranks straight, and again stopped after `stop_after`
// micro-batches and resumed; CHECKs that both folders hold the same run.
RunFolders check_resumed_run_is_straight_run(const std::string& name, const std::string& flags,
                                             int stop_after) {
  const fs::path straight = scratch_folder(name + "_straight"),
                 broken = scratch_folder(name + "_broken");
  const ToolResult whole =
      run_command(kTwoRanks + kTrainer + " --out " + straight.string() + " --epochs 2" + flags);
  INFO(whole.output);
  REQUIRE(whole.code == 0);
  const ToolResult stopped =
      run_command(kTwoRanks + kTrainer + " --out " + broken.string() +
                  " --epochs 2 --interrupt-after " + std::to_string(stop_after) + flags);
  INFO(stopped.output);
  REQUIRE(stopped.code == 130);
  const ToolResult resumed = run_command(kTwoRanks + kTrainer + " --resume " + broken.string());
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  unet3d::testing::check_same_run(straight, broken);
  return {straight, broken};
}

}  // namespace

TEST_CASE(
    "a 2-rank patch-mode run, augmented, interrupted and resumed ends as an uninterrupted "
    "one",
    "[mpi][data_parallel]") {
  // Each rank draws its own patches: 3 global micro-batches an epoch, the 4th is epoch 2's first.
  const RunFolders runs = check_resumed_run_is_straight_run(
      "ranks_patches",
      " --device cpu --threads 1 --no-cache --mode patch --patch 16,16,16 --iters 3 --features 4 "
      "--depth 2 --batch 1 --accum 1 --phantoms 12 --phantom-size 32,32,16 --augment nnunet",
      4);
  CHECK_THAT(read_text(runs.straight / "train.log"),
             Catch::Contains("the 2 ranks ended with the same weights, bit for bit"));
}

TEST_CASE("a 2-rank run interrupted and resumed ends bit-identical to an uninterrupted one",
          "[mpi][data_parallel]") {
  // Epoch 1 has 2 global micro-batches of 4 (the 11 training phantoms / 4): the 3rd is epoch 2's
  // first.
  const RunFolders runs = check_resumed_run_is_straight_run("ranks", kTiny, 3);
  const std::string log = read_text(runs.straight / "train.log");
  CHECK_THAT(log, Catch::Contains("data-parallel: 2 ranks of --batch 2 (a global batch of 4), "
                                  "BatchNorm per rank, gradients averaged with MPI"));
  CHECK_THAT(log, Catch::Contains("the 2 ranks ended with the same weights, bit for bit"));
  const fs::path& broken = runs.broken;
  CHECK_THAT(read_text(broken / "config.json"), Catch::Contains("\"ranks\": \"2\""));
  CHECK_THAT(read_text(broken / "train.log"),
             Catch::Contains("interrupted (SIGINT) in epoch 2 after micro-batch 1"));
  const ToolResult one = run_command(kEnvironment + kTrainer + " --resume " + broken.string());
  CHECK(one.code == 2);
  CHECK_THAT(one.output, Catch::Contains("the run trained on 2 rank(s), not 1") &&
                             Catch::Contains("mpirun -np 2"));
}

TEST_CASE("a killed rank ends the job with a non-zero status, never a hang", "[mpi][reliability]") {
  const fs::path out = scratch_folder("ranks_killed");
  // Rank 1 kills itself (SIGKILL, no chance to say goodbye) 3 s into a run of many epochs.
  const std::string rank1_dies =
      "sh -c 'if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then (sleep 3; kill -9 $$) & fi; exec " +
      kTrainer + " --out " + out.string() + " --epochs 10000" + kTiny + "'";
  const auto started = std::chrono::steady_clock::now();
  const ToolResult r = run_command(kTwoRanks + rank1_dies);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO(r.output);
  INFO("ended after " << seconds << " s with " << r.code);
  CHECK(r.code != 0);
  CHECK(r.code != 124);  // timeout's: still running after 60 s
  CHECK(seconds < 60);
  CHECK(fs::exists(out / "last.safetensors"));  // epochs ran before the kill
}

TEST_CASE("an error on rank 0 ends every rank with its exit code", "[mpi][reliability]") {
  const fs::path out = scratch_folder("ranks_error");
  const std::string absent_split = (out / "absent_split.json").string();
  const ToolResult r = run_command(kTwoRanks + kTrainer + " --out " + out.string() + " --split " +
                                   absent_split + kTiny);
  INFO(r.output);
  CHECK(r.code == 3);  // a data error, as one process would end
  CHECK_THAT(r.output, Catch::Contains("rank 0 of 2: ") && Catch::Contains(absent_split));
  CHECK_THAT(read_text(out / "train.log"),
             Catch::Contains("rank 0 of 2: ") && Catch::Contains(absent_split));
}

TEST_CASE("an error on another rank ends the job and reaches rank 0's train.log",
          "[mpi][reliability]") {
  const fs::path out = scratch_folder("ranks_error_1");
  // Rank 1 alone is given a local rank that is not a number: it fails as it chooses its GPU,
  // once rank 0 holds the run folder and its log.
  const std::string rank1_fails =
      "sh -c 'if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then export OMPI_COMM_WORLD_LOCAL_RANK=bad; "
      "fi; exec " +
      kTrainer + " --out " + out.string() + " --epochs 1000" + kTiny + "'";
  const ToolResult r = run_command(kTwoRanks + rank1_fails);
  INFO(r.output);
  CHECK(r.code == 2);  // the usage error's code, through MPI_Abort and mpirun
  const std::string message = "rank 1 of 2: OMPI_COMM_WORLD_LOCAL_RANK='bad' is not a local rank";
  CHECK_THAT(r.output, Catch::Contains(message));
  CHECK_THAT(read_text(out / "train.log"), Catch::Contains(message));
}

TEST_CASE("SIGTERM to mpirun leaves a run folder that resumes from its last checkpoint",
          "[mpi][reliability]") {
  const fs::path out = scratch_folder("ranks_terminated");
  const std::string job = kEnvironment + MPIEXEC_PATH + " --oversubscribe -np 2 " + kTrainer +
                          " --out " + out.string() + " --epochs 10000" + kTiny;
  // The launcher in the background, signalled once the first checkpoint exists.
  const std::string checkpoint = (out / "last.safetensors").string();
  const ToolResult stopped = run_command(
      "timeout 60 sh -c '" + job + " & job=$!; while [ ! -f " + checkpoint +
      " ]; do sleep 0.2; done; sleep 1; kill -TERM $job; wait $job; echo launcher: $?'");
  INFO(stopped.output);
  CHECK(stopped.code == 0);  // timeout's 124 would mean a hang
  CHECK_THAT(stopped.output, Catch::Contains("launcher: ") && !Catch::Contains("launcher: 0"));
  CHECK_THAT(read_text(out / "train.log"), Catch::Contains("Resume with: trainer --resume"));
  // It resumes: the checkpoint loads on rank 0, reaches rank 1, and training goes on.
  const ToolResult resumed =
      run_command(kTwoRanks + kTrainer + " --resume " + out.string() + " --interrupt-after 1");
  INFO(resumed.output);
  CHECK(resumed.code == 130);
  CHECK_THAT(resumed.output, Catch::Contains("resuming at epoch "));
}
