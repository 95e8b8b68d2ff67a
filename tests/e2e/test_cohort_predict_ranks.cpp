// predict under mpirun, 2 ranks of one thread: the ranks share the inputs, each case is written
// once and byte for byte as one process writes it, cases.csv in input order; a case failing on
// rank 1 names the rank and the case, rank 0 still writes its cases, and the job ends with the
// data error's exit code.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"
#include "tests/support/two_ranks.h"

using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

const std::string kPredict = PREDICT_PATH;

// The times `what` occurs in `text`.
int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("predict on 2 ranks writes each case once, as one process writes it", "[mpi][cohort]") {
  const fs::path folder = scratch_folder("cohort_ranks");
  const SmallCohort cohort = small_cohort(folder, TRAINER_PATH, MAKE_PHANTOMS_PATH, 6);
  const std::string flags = " --device cpu --threads 1 --verbose --checkpoint " +
                            cohort.checkpoint + " --input" + cohort.inputs() + " --labels " +
                            cohort.labels + " --probabilities --out ";
  const ToolResult one = run_command(kEnvironment + kPredict + flags + (folder / "one").string());
  INFO(one.output);
  REQUIRE(one.code == 0);
  const ToolResult two = run_command(kTwoRanks + kPredict + flags + (folder / "two").string());
  INFO(two.output);
  REQUIRE(two.code == 0);
  // cases.csv included: rank 0's, gathered in input order.
  check_same_files(folder / "one", folder / "two");
  CHECK(occurrences(two.output, " -> ") == 6);
  for (const fs::path& image : cohort.images)
    CHECK(occurrences(two.output, image.string() + " -> ") == 1);
  // Rank 0 alone reports, the job's totals.
  CHECK(occurrences(two.output, "6 segmentation(s) written") == 1);
  CHECK(occurrences(two.output, "cases.csv written") == 1);
  CHECK_THAT(two.output, Catch::Contains("  6/6  ") && Catch::Contains(" cases/min  2 ranks\n"));
}

TEST_CASE("a case failing on rank 1 names the rank and the case, and rank 0 writes its cases",
          "[mpi][cohort]") {
  const fs::path folder = scratch_folder("cohort_ranks_failing");
  const SmallCohort cohort = small_cohort(folder, TRAINER_PATH, MAKE_PHANTOMS_PATH, 6);
  // Input 3 (rank 1's second) cut in half: its header passes the checks made before anything is
  // written, its data fails to read.
  const fs::path& cut = cohort.images[3];
  fs::resize_file(cut, fs::file_size(cut) / 2);
  const fs::path out = folder / "segs";
  const ToolResult r = run_command(
      kTwoRanks + kPredict + " --device cpu --threads 1 --checkpoint " + cohort.checkpoint +
      " --input" + cohort.inputs() + " --labels " + cohort.labels + " --out " + out.string());
  INFO(r.output);
  CHECK(r.code == 3);  // a data error, as in one process
  CHECK_THAT(r.output, Catch::Contains("predict: rank 1 of 2: case " + cut.stem().stem().string() +
                                       ": " + cut.string()));
  const auto written = [&](std::size_t i) {
    return fs::exists(out / (cohort.images[i].stem().stem().string() + "_seg.nii.gz"));
  };
  for (const std::size_t i : {0, 2, 4}) CHECK(written(i));  // rank 0's
  CHECK(written(1));                                        // rank 1's before the failure
  CHECK_FALSE(written(3));
  CHECK_FALSE(written(5));  // a rank stops at its first failure, as one process does
  CHECK_FALSE(fs::exists(out / "cases.csv"));
  CHECK(files_named(out, ".partial-") == 0);
}
