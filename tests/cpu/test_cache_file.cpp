// The preprocessing cache is trusted only whole and current: a header edited by hand (its CRC
// then fails), a header or labels forged with their CRCs recomputed (the label range check, the
// comparison with the source files), an entry of another format, and where the cache lives when
// $HOME or $XDG_CACHE_HOME are unusable.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "io/cache_file.h"
#include "io/preprocess_parts.h"
#include "runtime/log.h"
#include "tests/support/error_of.h"
#include "tests/support/nifti_files.h"
#include "tests/support/test_data.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

// Three small cases (classes 0-2) and a cache folder beside them, in a folder of the test's own
// (ctest runs tests side by side); the first preprocessing run
// writes the entry, each later one reports whether it used it and what the log said.
struct CachedDataset {
  fs::path dir;
  DatasetIndex index;
  CacheOptions cache;
  std::string file;

  explicit CachedDataset(const std::string& folder) : dir(scratch_folder(folder)) {
    cache = {true, (dir / "cache").string()};
    for (const char* name : {"c1", "c2", "c3"})
      write_small_pair((dir / "imagesTr" / (std::string(name) + ".nii.gz")).string(),
                       (dir / "labelsTr" / (std::string(name) + ".nii.gz")).string());
    index = discover_dataset(dir.string(), DatasetLayout::automatic);
    PreprocessReport report;
    preprocess_dataset(index, 6, 0, Device::cpu, cache, &report);
    file = report.cache_file;
    REQUIRE(fs::exists(file));
  }

  // Preprocesses again (into `out`); whether the cache was used, and the log's warnings.
  std::pair<bool, std::string> again(PreprocessedDataset* out = nullptr) const {
    const std::string log = (dir / "log.txt").string();
    fs::remove(log);
    set_log_file(log);
    PreprocessReport report;
    PreprocessedDataset d = preprocess_dataset(index, 6, 0, Device::cpu, cache, &report);
    close_log_file();
    if (out != nullptr) *out = std::move(d);
    std::ifstream in(log);
    return {report.from_cache, std::string(std::istreambuf_iterator<char>(in), {})};
  }

  // The entry's bytes with the first `from` replaced by `to`.
  void edit(const std::string& from, const std::string& to) const {
    std::ifstream in(file, std::ios::binary);
    std::string bytes(std::istreambuf_iterator<char>(in), {});
    const std::size_t at = bytes.find(from);
    REQUIRE(at != std::string::npos);
    bytes.replace(at, from.size(), to);
    std::ofstream(file, std::ios::binary) << bytes;
  }
};

}  // namespace

TEST_CASE("a cache header edited by hand fails its CRC and the entry is rebuilt", "[cache]") {
  const CachedDataset c("cache_edited");
  CHECK(c.again().first);
  c.edit("\"num_classes\":\"3\"", "\"num_classes\":\"2\"");  // the data's CRC still holds
  CHECK_THAT(error_of([&] { read_resized_cache(c.file); }, ErrorKind::data),
             Catch::Contains("the header's CRC-32C"));
  PreprocessedDataset d;
  const auto [used, log] = c.again(&d);
  CHECK_FALSE(used);
  CHECK_THAT(log, Catch::Contains("ignoring unreadable cache") && Catch::Contains(c.file));
  CHECK(d.num_classes == 3);
  CHECK(c.again().first);  // rewritten whole
}

TEST_CASE("a cache forged with valid CRCs is caught by its labels and its sources", "[cache]") {
  const CachedDataset c("cache_forged");
  const std::string key = fs::path(c.file).stem().string();
  PreprocessedDataset d = read_resized_cache(c.file);
  SECTION("two classes where the labels hold 0-2") {
    d.num_classes = 2, d.class_names = {"class_0", "class_1"};
    write_cache_file(c.file, d, key);
    CHECK_THAT(error_of([&] { read_resized_cache(c.file); }, ErrorKind::data),
               Catch::Contains("a cached label is 2, outside the classes [0, 2)"));
  }
  SECTION("a label byte of 200") {
    d.labels.data_as<std::uint8_t>()[5] = 200;
    write_cache_file(c.file, d, key);
    CHECK_THAT(error_of([&] { read_resized_cache(c.file); }, ErrorKind::data),
               Catch::Contains("a cached label is 200"));
  }
  SECTION("a case's voxel size that is not its source file's") {
    d.cases[1].geometry.dx = 2.5;
    write_cache_file(c.file, d, key);
    REQUIRE(read_resized_cache(c.file).cases[1].geometry.dx == 2.5);  // whole, but stale
    const auto [used, log] = c.again();
    CHECK_FALSE(used);
    CHECK_THAT(log, Catch::Contains("rebuilding the stale cache entry") &&
                        Catch::Contains("c2.nii.gz is no longer on its grid"));
    return;
  }
  const auto [used, log] = c.again();
  CHECK_FALSE(used);
  CHECK_THAT(log, Catch::Contains("ignoring unreadable cache"));
}

TEST_CASE("a cache's class count must be the one asked for", "[cache]") {
  const CachedDataset c("cache_classes");
  const std::string key = fs::path(c.file).stem().string();
  PreprocessedDataset d = read_resized_cache(c.file);
  d.num_classes = 4, d.class_names = {"class_0", "class_1", "class_2", "class_3"};
  write_cache_file(c.file, d, key);  // labels 0-2 are within 4 classes: only the count is wrong
  CHECK(stale_difference(d.cases, 1, 4, d.class_names, {&c.index, 3}) ==
        "it holds 4 classes, 3 are asked for");
  CHECK(stale_difference(d.cases, 2, 4, d.class_names, {&c.index, 0}) ==
        "it holds 2 channel(s), c1 has 1");
  CHECK(stale_difference({}, 1, 4, d.class_names, {&c.index, 0}) ==
        "it holds 0 cases, the dataset 3");
}

TEST_CASE("the cache folder follows XDG and is never the current folder", "[cache]") {
  // The environment as found, restored at the end.
  const auto saved = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  const std::optional<std::string> home = saved("HOME"), xdg = saved("XDG_CACHE_HOME");
  using preprocess_parts::cache_folder;
  setenv("HOME", "/home/someone", 1);
  setenv("XDG_CACHE_HOME", "/var/cache/me", 1);
  CHECK(cache_folder({}) == fs::path("/var/cache/me/unet3d"));
  setenv("XDG_CACHE_HOME", "relative/cache", 1);  // the XDG rule: ignored
  CHECK(cache_folder({}) == fs::path("/home/someone/.cache/unet3d"));
  unsetenv("HOME");
  CHECK(cache_folder({}).empty());
  setenv("HOME", "", 1);
  CHECK(cache_folder({}).empty());
  CHECK(cache_folder({true, "given"}) == fs::path("given"));
  const DatasetIndex none;
  CHECK(preprocess_parts::cache_file({}, none, "6", 3).empty());
  for (const auto& [name, value] : {std::pair{"HOME", home}, std::pair{"XDG_CACHE_HOME", xdg}})
    value ? setenv(name, value->c_str(), 1) : unsetenv(name);
}
