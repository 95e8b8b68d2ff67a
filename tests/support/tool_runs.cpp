// Running the tools as processes, for the end-to-end tests.
#include "tests/support/tool_runs.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "io/safetensors.h"

namespace unet3d::testing {

namespace fs = std::filesystem;

ToolResult run_command(const std::string& command) {
  const fs::path log =
      fs::temp_directory_path() / ("unet3d_e2e_output_" + std::to_string(getpid()) + ".txt");
  const int status = std::system((command + " > " + log.string() + " 2>&1").c_str());
  ToolResult result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(log)};
  fs::remove(log);
  return result;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_text(path));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream l(line);
    for (std::string cell; std::getline(l, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

int files_named(const fs::path& dir, const std::string& prefix) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().starts_with(prefix)) ++n;
  return n;
}

std::string SmallCohort::inputs() const {
  std::string text;
  for (const fs::path& image : images) text += " " + image.string();
  return text;
}

SmallCohort small_cohort(const fs::path& folder, const std::string& trainer,
                         const std::string& make_phantoms, int cases) {
  const ToolResult trained = run_command(trainer + " --out " + (folder / "model").string() +
                                         " --epochs 1 --device cpu" + kTinyRun);
  INFO(trained.output);
  REQUIRE(trained.code == 0);
  const fs::path data = folder / "data";
  REQUIRE(run_command(make_phantoms + " --out " + data.string() + " --phantoms " +
                      std::to_string(cases) + " --phantom-size 40,36,20")
              .code == 0);
  SmallCohort cohort{(folder / "model" / "best.safetensors").string(),
                     {},
                     (data / "semantic_labels_only").string()};
  const std::set<fs::path> images(fs::directory_iterator(data / "semantic_MRs"), {});
  cohort.images.assign(images.begin(), images.end());
  REQUIRE(cohort.images.size() == static_cast<std::size_t>(cases));
  return cohort;
}

void check_same_files(const fs::path& a, const fs::path& b) {
  const auto contents = [](const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename() != "predict.lock")
        files[e.path().filename().string()] = read_text(e.path());
    return files;
  };
  const auto in_a = contents(a), in_b = contents(b);
  CHECK(in_a.size() == in_b.size());
  for (const auto& [name, bytes] : in_a) {
    INFO(name << " in " << a.string() << " and " << b.string());
    REQUIRE(in_b.count(name) == 1);
    CHECK(in_b.at(name) == bytes);
  }
}

void check_same_run(const fs::path& a, const fs::path& b) {
  for (const char* file : {"last.safetensors", "last.train.safetensors", "best.safetensors"}) {
    INFO(file);
    REQUIRE(fs::exists(a / file) == fs::exists(b / file));
    if (!fs::exists(a / file)) continue;
    const SafetensorsFile wa = read_safetensors((a / file).string());
    const SafetensorsFile wb = read_safetensors((b / file).string());
    REQUIRE(wa.tensors.size() == wb.tensors.size());
    for (std::size_t i = 0; i < wa.tensors.size(); ++i) {
      INFO(wa.tensors[i].name);
      CHECK(wa.tensors[i].bytes == wb.tensors[i].bytes);
    }
  }
  const auto rows_a = read_csv(a / "metrics.csv"), rows_b = read_csv(b / "metrics.csv");
  REQUIRE(rows_a.size() == rows_b.size());
  for (std::size_t r = 0; r < rows_a.size(); ++r)
    for (std::size_t c = 0; c + 2 < rows_a[r].size(); ++c)  // all but the timing columns
      CHECK(rows_a[r][c] == rows_b[r][c]);
  CHECK(read_text(a / "test/report.json") == read_text(b / "test/report.json"));
}

}  // namespace unet3d::testing
