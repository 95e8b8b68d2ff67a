// What a user reads: every program's --help gives a shared flag the one meaning and default of
// runtime/shared_flags.cpp; an error is one line "program: message" without a source place
// (which --verbose adds); config.json holds the resolved settings and the shell-quoted command
// line; evaluate scores predict's own output folder with the class names of a dataset.json; a
// resume may change --threads (with a warning), and a finished run is said to be finished.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "io/json.h"
#include "runtime/shared_flags.h"
#include "tests/support/programs.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

const std::string kTiny =
    " --device cpu --size 16 --features 2 --depth 2 --batch 1 --accum 1 --lr 1e-2 --epochs 1";
// Eight small phantoms, enough patients for a split (on disk, or generated in memory).
const std::string kPhantomSet = " --phantoms 8 --phantom-size 24,24,12";

// One flag line of a --help text: "--name VALUE" and the help after it (with its default).
struct HelpLine {
  std::string left, right;
};

std::map<std::string, HelpLine> help_flags(const std::string& program) {
  const auto r = run_command(program + " --help");
  REQUIRE(r.code == 0);
  std::map<std::string, HelpLine> flags;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("  --")) continue;
    const std::size_t gap = line.find("  ", 2);
    REQUIRE(gap != std::string::npos);
    HelpLine h{line.substr(2, gap - 2), line.substr(line.find_first_not_of(' ', gap))};
    const std::string name = h.left.substr(2, h.left.find(' ') - 2);
    if (!h.right.starts_with("the old name of")) flags[name] = h;
  }
  return flags;
}

// The names a flag may have in several programs with meanings or defaults of their own, and why.
const std::map<std::string, std::string> kOwnMeanings = {
    {"out", "where each program writes: a folder, or plan's and cudnn_probe's file"},
    {"batch", "bench's default follows the device it measures"},
    {"folds", "trainer's 0 means no folds; cross_validate requires it"},
    {"labels", "predict takes a folder or a file per input, evaluate a folder"},
    {"checkpoint", "predict takes one model file or several (an ensemble), export one"},
    {"help", "built in"},
    {"version", "built in"},
    {"verbose", "built in"},
};

// bench's defaults of these follow the device it measures (a GPU's workload, or a CPU's).
const std::set<std::string> kBenchOwn = {"size", "features"};

// The lines of `output` that start with "program:" (an error line).
std::vector<std::string> error_lines(const std::string& output, const std::string& program) {
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(program + ":")) lines.push_back(line);
  return lines;
}

std::string setting(const fs::path& config, const std::string& key) {
  return json::parse_file(config.string()).find("settings")->find(key)->text;
}

}  // namespace

TEST_CASE("every program's --help gives each shared flag its one meaning and default",
          "[e2e][messages]") {
  std::map<std::string, std::string> programs = {{"trainer", kTrainer},
                                                 {"predict", kPredict},
                                                 {"evaluate", kEvaluate},
                                                 {"make_phantoms", kPhantoms},
                                                 {"plan", kPlan},
                                                 {"bench", kBench},
                                                 {"prepare_data", kPrepareData},
                                                 {"cross_validate", kCrossValidate}};
#ifdef EXPORT_PATH  // a build with the ONNX library
  programs["export"] = EXPORT_PATH;
#endif
  std::map<std::string, std::set<std::string>> programs_of;  // flag -> programs
  for (const auto& [program, path] : programs) {
    for (const auto& [name, line] : help_flags(path)) {
      programs_of[name].insert(program);
      INFO(program << " --" << name);
      for (const SharedFlag& f : shared_flags()) {
        if (name != f.name || (program == "bench" && kBenchOwn.count(name))) continue;
        const std::string value = f.value_name;
        CHECK(line.left == "--" + name + (value.empty() ? "" : " " + value));
        const std::string fallback = f.default_value;
        CHECK(line.right ==
              std::string(f.help) + (fallback.empty() ? "" : " (default " + fallback + ")"));
      }
    }
  }
  // Every program that works on threads says how many it uses.
  for (const auto& [program, path] : programs)
    if (program != "make_phantoms" && program != "plan" && program != "export")
      CHECK(programs_of["threads"].count(program) == 1);
  // A name in two programs is a shared flag, or one of the few that mean their own thing.
  for (const auto& [name, in] : programs_of) {
    if (in.size() < 2) continue;
    bool shared = false;
    for (const SharedFlag& f : shared_flags()) shared = shared || name == f.name;
    INFO("--" << name << " is in " << in.size() << " programs");
    CHECK((shared || kOwnMeanings.count(name) == 1));
  }
}

TEST_CASE("an error is one line naming the program, its source place only under --verbose",
          "[e2e][messages]") {
  const fs::path scratch = scratch_folder("error_lines");
  fs::create_directories(scratch / "bad/semantic_MRs");
  fs::create_directories(scratch / "bad/semantic_labels_only");
  std::ofstream(scratch / "bad/semantic_MRs/Case_001_Week0_LFOV.nii.gz") << "not a volume";
  std::ofstream(scratch / "bad/semantic_labels_only/Case_001_Week0_SEMANTIC_LFOV.nii.gz") << "x";
  std::ofstream(scratch / "a_file") << "x";
  const struct {
    std::string program, command, says;
  } cases[] = {
      {"trainer",
       kTrainer + " --data " + (scratch / "missing").string() + " --out " +
           (scratch / "run").string(),
       "no such folder"},
      {"prepare_data", kPrepareData + " --no-cache --data " + (scratch / "bad").string(),
       "truncated"},
      {"make_phantoms", kPhantoms + " --phantoms 1 --out " + (scratch / "a_file/x").string(),
       "a_file"},
      {"make_phantoms", kPhantoms + " --seed -5 --out " + (scratch / "p").string(), "--seed -5"},
      {"make_phantoms",
       kPhantoms + " --size 16,16,8 --phantom-size 32,32,16 --out " + (scratch / "p").string(),
       "given twice"},
      {"evaluate", kEvaluate + " --pred " + (scratch / "missing").string() + " --labels . --out .",
       "--pred"},
      {"evaluate", kEvaluate + " --pred . --labels . --out . --classes a,b", "--class-names"},
      {"predict",
       kPredict + " --checkpoint " + (scratch / "none.safetensors").string() + " --input " +
           (scratch / "missing.nii.gz").string() + " --out " + (scratch / "pred").string(),
       "missing.nii.gz"},
  };
  for (const auto& c : cases) {
    const auto r = run_command(c.command);
    INFO(c.command << "\n" << r.output);
    CHECK(r.code != 0);
    const std::vector<std::string> lines = error_lines(r.output, c.program);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains(c.says));
    CHECK_THAT(r.output, !Catch::Contains(".cpp:") && !Catch::Contains("** ERROR") &&
                             !Catch::Contains("filesystem error"));
    // --verbose adds where in the source the error arose, on the same line.
    const auto verbose = run_command(c.command + " --verbose");
    const std::vector<std::string> verbose_lines = error_lines(verbose.output, c.program);
    REQUIRE(verbose_lines.size() == 1);
    CHECK(verbose_lines[0].starts_with(lines[0]));
  }
  // A program's own Error carries its place: shown with --verbose.
  const auto placed = run_command(kTrainer + " --verbose --data " + (scratch / "missing").string() +
                                  " --out " + (scratch / "run").string());
  CHECK_THAT(error_lines(placed.output, "trainer").at(0), Catch::Contains(".cpp:"));
  CHECK_FALSE(fs::exists(scratch / "run"));  // refused before the run folder is made
}

TEST_CASE("config.json holds the resolved settings and the shell-quoted command line",
          "[e2e][messages]") {
  const fs::path data = scratch_folder("resolved_data"), cache = scratch_folder("resolved_cache");
  REQUIRE(run_command(kPhantoms + " --out " + data.string() + kPhantomSet).code == 0);
  const fs::path out = scratch_folder("resolved") / "run with 'quotes'";
  const auto r = run_command(kTrainer + " --out \"" + out.string() + "\" --data " + data.string() +
                             " --cache " + cache.string() + kTiny + " --mode patch --threads 1");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const fs::path config = out / "config.json";
  const json::Value root = json::parse_file(config.string());
  CHECK_THAT(
      root.find("command_line")->text,
      Catch::Contains("--out '" + (out.parent_path() / "run with '\\''quotes'\\'''").string()));
  CHECK(setting(config, "device") == "cpu");
  CHECK(setting(config, "classes") == "6");
  // Patch mode's spacing and patch as the data resolved them, read back as a resume reads them.
  CHECK_THAT(r.output, Catch::Contains("--spacing " + setting(config, "spacing")) &&
                           Catch::Contains("--patch " + setting(config, "patch")));
  const std::string spacing = setting(config, "spacing");
  CHECK(std::count(spacing.begin(), spacing.end(), ',') == 2);
  CHECK_FALSE(setting(config, "patch").empty());
  CHECK_THAT(root.find("cache_file")->text, Catch::StartsWith(cache.string()));
  CHECK(fs::exists(root.find("cache_file")->text));
}

TEST_CASE("a resume may change --threads, and a finished run is said to be finished",
          "[e2e][messages]") {
  const fs::path out = scratch_folder("threads_resume");
  const std::string run = kTiny + kPhantomSet + " --epochs 2";
  const auto stopped =
      run_command(kTrainer + " --out " + out.string() + run + " --threads 1 --interrupt-after 2");
  INFO(stopped.output);
  REQUIRE(stopped.code == 130);
  const auto resumed = run_command(kTrainer + " --resume " + out.string() + " --threads 2");
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  CHECK_THAT(resumed.output, Catch::Contains("--threads 2 where the run had 1") &&
                                 Catch::Contains("differ in their last bits"));
  REQUIRE(fs::exists(out / "test/report.md"));
  const auto written = fs::last_write_time(out / "test/report.md");
  // Finished: said so, nothing tested again.
  const auto again = run_command(kTrainer + " --resume " + out.string());
  INFO(again.output);
  CHECK(again.code == 0);
  CHECK_THAT(again.output, Catch::Contains("is finished") && !Catch::Contains("test set:"));
  CHECK(fs::last_write_time(out / "test/report.md") == written);
  // --retest asks for the test phase again.
  const auto retest = run_command(kTrainer + " --resume " + out.string() + " --retest");
  INFO(retest.output);
  CHECK(retest.code == 0);
  CHECK_THAT(retest.output, Catch::Contains("test set:"));
  const fs::path fresh = scratch_folder("threads_resume_fresh");
  CHECK(run_command(kTrainer + " --retest --out " + fresh.string() + run).code == 2);
}

TEST_CASE("evaluate scores predict's output folder with a dataset.json's class names",
          "[e2e][messages]") {
  const fs::path data = scratch_folder("evaluate_data"), run = scratch_folder("evaluate_run");
  REQUIRE(run_command(kPhantoms + " --out " + data.string() + kPhantomSet).code == 0);
  REQUIRE(run_command(kTrainer + " --out " + run.string() + " --data " + data.string() + kTiny +
                      " --no-cache")
              .code == 0);
  const fs::path predicted = scratch_folder("evaluate_predicted");
  const auto p = run_command(kPredict + " --checkpoint " + (run / "last.safetensors").string() +
                             " --input " + (data / "semantic_MRs").string() + " --out " +
                             predicted.string() + " --probabilities --device cpu --threads 1");
  INFO(p.output);
  REQUIRE(p.code == 0);
  REQUIRE(unet3d::testing::files_named(predicted, "Case_001_Week0_LFOV_prob") == 1);
  // Class names from a dataset.json beside the labels (the Decathlon's index -> name).
  const fs::path labels = data / "semantic_labels_only";
  std::ofstream(data / "dataset.json")
      << R"({"labels": {"0": "bg", "1": "body", "2": "bone", "3": "bladder", "4": "rectum",)"
      << R"( "5": "gland"}})";
  const fs::path scored = scratch_folder("evaluate_scored");
  const auto e = run_command(kEvaluate + " --pred " + predicted.string() + " --labels " +
                             labels.string() + " --out " + scored.string() + " --threads 1");
  INFO(e.output);
  REQUIRE(e.code == 0);
  const auto rows = unet3d::testing::read_csv(scored / "cases.csv");
  std::set<std::string> cases, classes;
  for (std::size_t row = 1; row < rows.size(); ++row)
    cases.insert(rows[row].at(0)), classes.insert(rows[row].at(1));
  CHECK(cases.size() == 8);  // the segmentations only: no _prob file
  for (const std::string& name : cases) CHECK_FALSE(name.ends_with("_prob"));
  CHECK(classes.count("gland") == 1);
  CHECK(classes.count("class_5") == 0);
  // The names from --class-names win; a count that disagrees with them is refused.
  CHECK(run_command(kEvaluate + " --pred " + predicted.string() + " --labels " + labels.string() +
                    " --out " + scored.string() + " --classes 5")
            .code == 2);
}
