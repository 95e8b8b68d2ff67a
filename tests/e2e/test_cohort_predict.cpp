// predict over a cohort in one process: reading and writing overlapped with the network write the
// same bytes as one case after another (--no-pipeline), every output included, and the progress
// line counts cases per minute.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "tests/support/programs.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d::testing;
namespace fs = std::filesystem;

TEST_CASE("cohort predict writes the same bytes overlapped as one case after another",
          "[e2e][cohort]") {
  const fs::path folder = scratch_folder("cohort_predict");
  const SmallCohort cohort = small_cohort(folder, kTrainer, kPhantoms, 6);
  // Every output: label maps (post-processed, which goes back to the device to be scored),
  // probabilities and cases.csv.
  const std::string flags = " --device cpu --verbose --checkpoint " + cohort.checkpoint +
                            " --input" + cohort.inputs() + " --labels " + cohort.labels +
                            " --probabilities --postprocess lcc --out ";
  const Result in_turn = run(kPredict + flags + (folder / "in_turn").string() + " --no-pipeline");
  INFO(in_turn.output);
  REQUIRE(in_turn.code == 0);
  const Result overlapped = run(kPredict + flags + (folder / "overlapped").string());
  INFO(overlapped.output);
  REQUIRE(overlapped.code == 0);
  check_same_files(folder / "in_turn", folder / "overlapped");
  CHECK(fs::exists(folder / "overlapped" / "cases.csv"));
  CHECK(fs::exists(folder / "overlapped" / "Case_001_Week0_LFOV_prob.nii.gz"));
  // The writer logs the cases in input order.
  std::size_t at = 0;
  for (const fs::path& image : cohort.images) {
    at = overlapped.output.find(image.string() + " -> ", at);
    CHECK(at != std::string::npos);
  }
  for (const Result* r : {&in_turn, &overlapped})
    CHECK_THAT(r->output, Catch::Contains("predict  [##############################]  6/6  ") &&
                              Catch::Contains(" cases/min\n"));
}
