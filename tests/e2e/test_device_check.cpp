// tools/device_check.sh --dry-run: every stage of the GPU machine's check runs here against
// this build, so that the one run on a GPU can fail only for GPU reasons; a stage that overruns
// its budget is killed there while the later stages still run; and the memcheck stage's named
// set of GPU tests holds only the project's own kernels.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

const char* const kStages[] = {"versions", "build", "gpu_tests", "training", "bench",
                               "pytorch",  "probe", "nccl",      "memcheck"};

ToolResult dry_run(const fs::path& out, const std::string& options = "") {
  return run_command("UNET3D_BUILD_DIR=" + std::string(BUILD_DIR) + " bash " + SOURCE_DIR +
                     "/tools/device_check.sh --dry-run " + options + " " + out.string());
}

// A stage's row of summary.md: its cells (stage, status, budget on the card, limit, used,
// detail), or none.
std::vector<std::string> row_of(const std::string& summary, const std::string& stage) {
  std::istringstream lines(summary);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("| " + stage + " | ")) {
      std::vector<std::string> cells;
      std::istringstream parts(line.substr(2));
      for (std::string cell; std::getline(parts, cell, '|');)
        cells.push_back(cell.substr(cell.find_first_not_of(' '),
                                    cell.find_last_not_of(' ') - cell.find_first_not_of(' ') + 1));
      return cells;
    }
  return {};
}

}  // namespace

TEST_CASE("device_check's dry run passes every stage and leaves at most 8 files", "[e2e]") {
  const fs::path out = scratch_folder("device_check");
  const ToolResult r = dry_run(out);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string summary = read_text(out / "summary.md");
  INFO(summary);
  // Every stage under its limit (the dry run's deadline is 180 s), stating its card budget; the
  // card budgets sum to less than the card's 480 s deadline.
  int card_total = 0;
  for (const char* stage : kStages) {
    const std::vector<std::string> row = row_of(summary, stage);
    INFO(stage);
    REQUIRE(row.size() >= 6);
    CHECK((row[1] == "ok" || row[1] == "unavailable"));
    CHECK(std::stoi(row[4]) <= std::stoi(row[3]));
    card_total += std::stoi(row[2]);
  }
  CHECK(card_total < 480);
  CHECK_THAT(summary, Catch::Contains("sum to " + std::to_string(card_total) + " s of its 480 s"));
  CHECK(row_of(summary, "build")[1] == "ok");
  CHECK(row_of(summary, "bench")[1] == "ok");
  CHECK(row_of(summary, "training")[1] == "ok");
  CHECK_THAT(row_of(summary, "training")[5], Catch::Contains("train loss"));
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

TEST_CASE("a stage past its budget is killed there, and the later stages still run", "[e2e]") {
  // The one test allowed to sleep: bench's stand-in sleeps 60 s under a budget of 1 s.
  const fs::path out = scratch_folder("device_check_overrun");
  const ToolResult r = dry_run(out,
                               "--stages versions,bench,pytorch,nccl --budget bench=1 "
                               "--stand-in bench=60");
  INFO(r.output);
  CHECK(r.code != 0);  // a TIMEOUT fails the check
  const std::string summary = read_text(out / "summary.md");
  INFO(summary);
  const std::vector<std::string> bench = row_of(summary, "bench");
  REQUIRE(bench.size() >= 6);
  CHECK(bench[1] == "TIMEOUT");
  CHECK(bench[3] == "1");
  CHECK(std::stoi(bench[4]) <= 3);  // SIGTERM at 1 s ends the sleep at once
  for (const char* later : {"pytorch", "nccl"}) {
    const std::vector<std::string> row = row_of(summary, later);
    INFO(later);
    REQUIRE(row.size() >= 6);
    CHECK((row[1] == "ok" || row[1] == "unavailable"));
  }
  CHECK(row_of(summary, "versions")[1] == "ok");
  CHECK(row_of(summary, "training").empty());  // not among --stages
}

#ifdef GPU_TESTS_PATH
TEST_CASE("memcheck's named set is the project's own kernels: no cuDNN, cuBLAS or NCCL", "[e2e]") {
  // Listing runs without a GPU; Catch2 2.13 exits with the number of tests listed.
  const ToolResult listed =
      run_command(std::string(GPU_TESTS_PATH) + " --list-test-names-only '[memcheck]'");
  const ToolResult r = run_command(std::string(GPU_TESTS_PATH) + " --list-tests '[memcheck]'");
  INFO(listed.output << r.output);
  std::vector<std::string> names;
  std::istringstream lines(listed.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) names.push_back(line);
  CHECK(listed.code == static_cast<int>(names.size()));
  CHECK(r.code == static_cast<int>(names.size()));
  const std::vector<std::string> expected{
      "the affine resample matches the CPU bit for bit",
      "blur, statistics and contrast match the CPU bit for bit",
      "noise and gamma match the CPU within the f32 tolerance",
      "a drawn augmentation of every transform matches the CPU",
      "every op without weights matches the CPU",
      "per-channel sums match the CPU for few and many channels",
      "preprocessing on the GPU matches the CPU",
      "fill and fill_uniform match the CPU bit for bit",
      "copy and cast match the CPU bit for bit",
      "arithmetic kernels match the CPU bit for bit",
      "reductions match the CPU within the f32 tolerance",
      "parity fails a CUDA kernel that leaves the last element unwritten",
      "tensors round-trip host -> device -> device -> host",
      "a loop over GPU arena tensors allocates nothing"};
  std::vector<std::string> sorted_names = names, sorted_expected = expected;
  std::sort(sorted_names.begin(), sorted_names.end());
  std::sort(sorted_expected.begin(), sorted_expected.end());
  CHECK(sorted_names == sorted_expected);
  // Nothing in the set runs convolutions (cuDNN, cuBLAS), trains, slides windows over a network,
  // talks NCCL or is sized to be slow.
  for (const char* tag : {"[conv]", "[training]", "[sliding_window]", "[nccl]", "[large]"})
    CHECK_THAT(r.output, !Catch::Contains(tag));
}
#endif
