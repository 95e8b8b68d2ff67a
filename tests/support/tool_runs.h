// Running the tools as processes, for the end-to-end tests: a command's exit code and output,
// files and CSV tables read back, and the check that an interrupted and resumed run ended as an
// uninterrupted one did.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace unet3d::testing {

struct ToolResult {
  int code;
  std::string output;  // stdout and stderr together
};

ToolResult run_command(const std::string& command);
std::string read_text(const std::filesystem::path& path);
std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& path);

// Files below `dir` whose name starts with `prefix` (a write cut short leaves ".partial-*").
int files_named(const std::filesystem::path& dir, const std::string& prefix);

// CHECKs that run folders `a` and `b` hold the same weights and optimizer state (last, its
// training state, best) bit for bit, the same metrics
// (timing columns aside) and the same test report.
void check_same_run(const std::filesystem::path& a, const std::filesystem::path& b);

// What predict's cohort tests segment: a tiny model trained for one epoch (kTinyRun, CPU) and
// `cases` phantom cases of 40x36x20 written as files, below `folder`.
struct SmallCohort {
  std::string checkpoint;
  std::vector<std::filesystem::path> images;  // in name order (predict's input order)
  std::string labels;                         // their label folder
  std::string inputs() const;                 // the images, each after a space
};
SmallCohort small_cohort(const std::filesystem::path& folder, const std::string& trainer,
                         const std::string& make_phantoms, int cases);

// CHECKs that folders `a` and `b` hold files of the same names and bytes (predict's lock file,
// which holds its writer's pid, aside).
void check_same_files(const std::filesystem::path& a, const std::filesystem::path& b);

// trainer's flags for a tiny run on phantoms (16^3, 4 features, depth 2, 16 cases), device
// not included: every test names its own.
inline const std::string kTinyRun =
    " --size 16 --features 4 --depth 2 --batch 2 --accum 1 --phantoms 16 --phantom-size 32,32,16 "
    "--lr 1e-2";

}  // namespace unet3d::testing
