// Command-line flags: values, switches, lists, old spellings, and the usage errors.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/library_settings.h"

using namespace unet3d;

namespace {

// Parses `args` (after the program's name) with a small flag set; returns parse()'s result.
bool parse(Flags& flags, std::vector<std::string> args) {
  flags.add("classes", "C", "classes", "auto");
  flags.add_alias("num-classes", "classes");
  flags.add("size", "X,Y,Z", "grid", "8");
  flags.add_switch("no-cache", "no cache");
  flags.add_list("input", "PATH", "inputs");
  args.insert(args.begin(), "tool");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return flags.parse(static_cast<int>(argv.size()), argv.data());
}

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::runtime;
}

}  // namespace

TEST_CASE("flags read values, switches, lists and old spellings", "[flags]") {
  Flags flags("tool", "a tool");
  REQUIRE(parse(flags, {"--num-classes", "4", "--size=3,4,5", "--no-cache", "--input", "a", "b"}));
  CHECK(flags.text("classes") == "4");  // through the alias
  CHECK(flags.triple("size") == std::vector<std::int64_t>{3, 4, 5});
  CHECK(flags.on("no-cache"));
  CHECK(flags.list("input") == std::vector<std::string>{"a", "b"});
  const std::vector<Flags::Entry> entries = flags.entries();
  REQUIRE(entries.size() == 4);
  CHECK((entries[0].name == "classes" && !entries[0].is_switch));
  CHECK((entries[2].name == "no-cache" && entries[2].is_switch));
  CHECK_THAT(flags.usage(), Catch::Contains("--num-classes") && Catch::Contains("--version"));
}

TEST_CASE("the help and version flags stop the tool, bad flags are usage errors", "[flags]") {
  Flags help("tool", "a tool"), version("tool", "a tool");
  CHECK_FALSE(parse(help, {"--help"}));
  CHECK_FALSE(parse(version, {"--version"}));
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--bogus"},
                                              {"--size"},
                                              {"--no-cache=1"},
                                              {"stray"},
                                              {"--input"}}) {
    Flags flags("tool", "a tool");
    INFO(bad[0]);
    CHECK(kind_of([&] { parse(flags, bad); }) == ErrorKind::usage);
  }
  Flags flags("tool", "a tool");
  REQUIRE(parse(flags, {"--size", "1,2"}));
  CHECK(kind_of([&] { flags.triple("size"); }) == ErrorKind::usage);
}

// OpenBLAS's generic cores are replaced by the ones for the CPU's vector width; a core it chose
// with AVX2 or better, and any core on a CPU without AVX2, stands.
TEST_CASE("the OpenBLAS core is raised only from a core without AVX2", "[flags]") {
  CHECK(blas_core_upgrade("Prescott", true, true) == "SkylakeX");
  CHECK(blas_core_upgrade("prescott", false, true) == "Haswell");
  CHECK(blas_core_upgrade("Sandybridge", false, true) == "Haswell");
  CHECK(blas_core_upgrade("Prescott", false, false).empty());
  CHECK(blas_core_upgrade("Haswell", true, true).empty());
  CHECK(blas_core_upgrade("SkylakeX", true, true).empty());
  CHECK(blas_core_upgrade("Zen", false, true).empty());
  CHECK(blas_core_upgrade("", true, true).empty());
}
