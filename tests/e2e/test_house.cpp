// The shape of the source tree that docs/architecture.md promises, read from the sources: each
// folder includes only the floors below it, and the programs reach the kernels through layers.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>

namespace fs = std::filesystem;

namespace {

// A folder's floor; a folder may include its own files and those of lower floors only (two
// folders on one floor do not include each other).
const std::map<std::string, int> kFloors = {
    {"runtime", 0}, {"kernels", 1}, {"io", 2},    {"layers", 2}, {"verify", 3},
    {"scoring", 3}, {"tools", 4},   {"bench", 5}, {"fuzz", 5},   {"tests", 6}};

// The project folder an include names ("kernels/x.h" -> "kernels"), or "" for another's.
std::string included_folder(const std::string& line) {
  static const std::regex include(R"re(^\s*#include "([a-z_]+)/)re");
  std::smatch m;
  return std::regex_search(line, m, include) ? m[1].str() : "";
}

}  // namespace

TEST_CASE("no source includes a folder above its own floor", "[house]") {
  int files = 0;
  for (const auto& [folder, floor] : kFloors) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(SOURCE_DIR) / folder)) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".h" && ext != ".cpp" && ext != ".cu" && ext != ".cuh") continue;
      ++files;
      std::ifstream in(entry.path());
      std::string line;
      while (std::getline(in, line)) {
        const std::string target = included_folder(line);
        if (target.empty() || target == folder || target == "unet3d") continue;  // generated
        INFO(entry.path().string() << ": " << line);
        REQUIRE(kFloors.count(target) == 1);
        CHECK(kFloors.at(target) < floor);
        // The programs reach the kernels through layers/ (and scoring/), never directly.
        if (folder == "tools") CHECK(target != "kernels");
      }
    }
  }
  CHECK(files > 300);
}
