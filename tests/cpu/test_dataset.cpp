// Dataset discovery in both layouts (and what it refuses: a case twice, a class name twice, files
// that are dangling links or FIFOs), label and grid validation, preprocessing by hand, the cache,
// and the split.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "io/split.h"
#include "runtime/error.h"
#include "tests/support/error_of.h"
#include "tests/support/nifti_files.h"
#include "tests/support/test_data.h"
#include "verify/compare.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

std::string data_error(const std::function<void()>& f) {
  return testing::error_of(f, ErrorKind::data);
}

}  // namespace

TEST_CASE("the HipMRI layout pairs images with labels across sub-folders", "[dataset]") {
  const fs::path dir = scratch_folder("hipmri");
  for (const char* name : {"Case_001_Week0", "Case_001_Week1", "Case_002_Week0", "Case_010_Week3"})
    write_small_pair(dir / "semantic_MRs" / (std::string(name) + "_LFOV.nii.gz"),
                     dir / "semantic_labels_only" / (std::string(name) + "_SEMANTIC_LFOV.nii.gz"));
  write_small_pair(dir / "semantic_MRs" / "Case_011_Week0_LFOV.nii.gz",
                   dir / "elsewhere" / "unrelated.nii.gz");

  const DatasetIndex index = discover_dataset(dir.string(), DatasetLayout::automatic);
  CHECK(index.layout == DatasetLayout::hipmri);
  REQUIRE(index.cases.size() == 4);
  CHECK(index.cases[0].name == "Case_001_Week0_LFOV");
  CHECK(index.cases[0].patient == "Case_001");
  CHECK(index.cases[3].patient == "Case_010");
  CHECK(index.cases[1].label.ends_with("Case_001_Week1_SEMANTIC_LFOV.nii.gz"));
  REQUIRE(index.unmatched.size() == 1);
  CHECK(index.unmatched[0].ends_with("Case_011_Week0_LFOV.nii.gz"));
  CHECK(index.class_names.size() == 6);
}

TEST_CASE("the Decathlon layout reads dataset.json's class names", "[dataset]") {
  const fs::path dir = scratch_folder("decathlon");
  write_small_pair(dir / "imagesTr" / "knee_001_0000.nii.gz", dir / "labelsTr" / "knee_001.nii.gz");
  write_small_pair(dir / "imagesTr" / "knee_002.nii.gz", dir / "labelsTr" / "knee_002.nii.gz");
  write_small_pair(dir / "imagesTr" / "knee_003.nii.gz", dir / "other" / "x.nii.gz");
  std::ofstream(dir / "dataset.json") << R"({"labels": {"0": "background", "2": "b", "1": "a"}})";
  const DatasetIndex index = discover_dataset(dir.string(), DatasetLayout::decathlon);
  REQUIRE(index.cases.size() == 2);
  CHECK(index.cases[0].name == "knee_001");
  CHECK(index.cases[0].patient == "knee_001");
  CHECK(index.unmatched.size() == 1);
  CHECK(index.class_names == std::vector<std::string>{"background", "a", "b"});
  CHECK_THAT(
      data_error([&] { discover_dataset((dir / "imagesTr").string(), DatasetLayout::decathlon); }),
      Catch::Contains("no imagesTr/ and labelsTr/"));
  CHECK_THAT(
      data_error([&] { discover_dataset((dir / "other").string(), DatasetLayout::automatic); }),
      Catch::Contains("no image/label pairs found"));
}

TEST_CASE("a case twice, a class name twice, a dangling link or a FIFO is a data error",
          "[dataset]") {
  const fs::path dir = scratch_folder("discovery_faults");
  const fs::path hipmri = dir / "hipmri";
  write_small_pair(hipmri / "week0" / "Case_001_Week0_LFOV.nii.gz",
                   hipmri / "week0" / "Case_001_Week0_SEMANTIC_LFOV.nii.gz");
  write_small_pair(hipmri / "copy" / "Case_001_Week0_LFOV.nii",  // the same case, uncompressed
                   hipmri / "copy" / "Case_001_Week0_SEMANTIC_LFOV.nii");
  CHECK_THAT(data_error([&] { discover_dataset(hipmri.string(), DatasetLayout::hipmri); }),
             Catch::Contains("are two files of one case") && Catch::Contains("week0") &&
                 Catch::Contains("copy"));

  const fs::path decathlon = dir / "decathlon";
  write_small_pair(decathlon / "imagesTr" / "a.nii.gz", decathlon / "labelsTr" / "a.nii.gz");
  std::ofstream(decathlon / "dataset.json") << R"({"labels": {"0": "background", "1": "A",
                                                              "2": "A"}})";
  CHECK_THAT(data_error([&] { discover_dataset(decathlon.string(), DatasetLayout::decathlon); }),
             Catch::Contains("dataset.json") && Catch::Contains("names 1 and 2 both 'A'"));
  fs::remove(decathlon / "dataset.json");

  fs::create_symlink(decathlon / "missing.nii.gz", decathlon / "imagesTr" / "b.nii.gz");
  write_small_pair(decathlon / "unused.nii.gz", decathlon / "labelsTr" / "b.nii.gz");
  CHECK_THAT(data_error([&] { discover_dataset(decathlon.string(), DatasetLayout::decathlon); }),
             Catch::Contains("imagesTr/b.nii.gz: a symbolic link to") &&
                 Catch::Contains("which does not exist"));
  fs::remove(decathlon / "imagesTr" / "b.nii.gz");
  fs::remove(decathlon / "labelsTr" / "b.nii.gz");
  REQUIRE(mkfifo((hipmri / "copy" / "Case_002_Week0_LFOV.nii.gz").c_str(), 0600) == 0);
  fs::remove_all(hipmri / "week0");
  CHECK_THAT(data_error([&] { discover_dataset(hipmri.string(), DatasetLayout::hipmri); }),
             Catch::Contains("Case_002_Week0_LFOV.nii.gz: is a FIFO"));
}

TEST_CASE("labels and grids are validated, naming the files", "[dataset]") {
  const fs::path dir = scratch_folder("validation");
  write_small_pair(dir / "a.nii.gz", dir / "a_label.nii.gz", 7);
  const CasePaths seven{"a", "a", {(dir / "a.nii.gz").string()}, (dir / "a_label.nii.gz").string()};
  CHECK_THAT(
      data_error([&] { load_case(seven, 6); }),
      Catch::Contains("a_label.nii.gz: label values outside the classes [0, 6): 6 (3 voxels), "
                      "7 (3 voxels)"));
  CHECK(load_case(seven, 8).labels[7] == 7);

  RawVolume fractional;
  fractional.nx = 4, fractional.ny = 3, fractional.nz = 2;
  fractional.values.assign(24, 0.0);
  fractional.values[5] = 1.5;
  write_raw_nifti((dir / "half.nii.gz").string(), fractional);
  const CasePaths half{"a", "a", {(dir / "a.nii.gz").string()}, (dir / "half.nii.gz").string()};
  CHECK_THAT(data_error([&] { load_case(half, 6); }), Catch::Contains("1.5 (1 voxels)"));

  RawVolume other;
  other.nx = 4, other.ny = 3, other.nz = 3;
  other.values.assign(36, 0.0);
  write_raw_nifti((dir / "other.nii.gz").string(), other);
  const CasePaths mismatch{
      "a", "a", {(dir / "a.nii.gz").string()}, (dir / "other.nii.gz").string()};
  CHECK_THAT(data_error([&] { load_case(mismatch, 6); }),
             Catch::Contains("a.nii.gz and its label") && Catch::Contains("other.nii.gz") &&
                 Catch::Contains("dimensions 4x3x2 vs 4x3x3"));
}

TEST_CASE("preprocessing matches hand-computed values", "[dataset]") {
  // x: 4 -> 2 samples 0.5 and 2.5, so [0, 2, 4, 10] becomes [1, 7]; y, z: 1 -> 2 copy.
  Tensor image({1, 1, 1, 4, 1}, DType::f32);
  const float values[] = {0, 2, 4, 10};
  for (int i = 0; i < 4; ++i) image.data_as<float>()[i] = values[i];
  Tensor out({1, 2, 2, 2, 1}, DType::f32);
  preprocess_image(image, out, "tiny");
  // mean 4, population std 3: [-1, 1] along x everywhere.
  for (int i = 0; i < 8; ++i) CHECK(out.data_as<float>()[i] == Approx(i % 2 ? 1.0 : -1.0));

  image.data_as<float>()[2] = NAN;
  CHECK_THAT(data_error([&] { preprocess_image(image, out, "nan.nii.gz"); }),
             Catch::Contains("nan.nii.gz: 1 voxels are NaN or infinite"));
}

TEST_CASE("a second preprocessing run loads the cache, a changed input invalidates it",
          "[dataset]") {
  const fs::path dir = scratch_folder("cache");
  for (const char* name : {"c1", "c2", "c3"})
    write_small_pair(dir / "imagesTr" / (std::string(name) + ".nii.gz"),
                     dir / "labelsTr" / (std::string(name) + ".nii.gz"));
  const DatasetIndex index = discover_dataset(dir.string(), DatasetLayout::automatic);
  const CacheOptions cache{true, (dir / "cache").string()};
  PreprocessReport first, second, third;
  const PreprocessedDataset a = preprocess_dataset(index, 6, 0, Device::cpu, cache, &first);
  const PreprocessedDataset b = preprocess_dataset(index, 6, 0, Device::cpu, cache, &second);
  CHECK_FALSE(first.from_cache);
  CHECK(second.from_cache);
  CHECK(second.cache_file.starts_with((dir / "cache").string()));
  CHECK(a.num_classes == 3);
  CHECK(b.num_classes == 3);
  CHECK(b.cases[1].name == "c2");
  CHECK(b.cases[1].geometry.nx == 4);
  CHECK(compare(b.images, a.images, tolerance(Check::exact)).ok);
  CHECK(compare(b.labels, a.labels, tolerance(Check::exact)).ok);

  fs::last_write_time(index.cases[0].images.front(),
                      fs::last_write_time(index.cases[0].images.front()) + std::chrono::seconds(5));
  preprocess_dataset(index, 6, 0, Device::cpu, cache, &third);
  CHECK_FALSE(third.from_cache);
  PreprocessReport off;
  preprocess_dataset(index, 6, 0, Device::cpu, {false, ""}, &off);
  CHECK(off.cache_file.empty());
}

TEST_CASE("the split groups patients, follows the counting rule and the seed", "[split]") {
  std::vector<CaseInfo> cases;
  for (int p = 1; p <= 30; ++p)
    for (int week = 0; week < 1 + p % 3; ++week)
      cases.push_back(
          {concat("Case_", 100 + p, "_Week", week), concat("Case_", 100 + p), {}, "", {}});
  const Split a = split_by_patient(cases, 42), b = split_by_patient(cases, 42),
              c = split_by_patient(cases, 7);
  CHECK(a.train == b.train);
  CHECK(a.val == b.val);
  CHECK(a.test == b.test);
  CHECK((a.val != c.val || a.test != c.test));
  const auto patients = [&](const std::vector<std::string>& names) {
    std::set<std::string> out;
    for (const std::string& n : names) out.insert(n.substr(0, 8));
    return out;
  };
  // 30 patients: n_val = n_test = max(1, floor(0.05 * 30 + 0.5)) = 2.
  CHECK(patients(a.val).size() == 2);
  CHECK(patients(a.test).size() == 2);
  CHECK(patients(a.train).size() == 26);
  CHECK(a.train.size() + a.val.size() + a.test.size() == cases.size());
  for (const std::string& p : patients(a.val)) {
    CHECK_FALSE(patients(a.train).count(p));
    CHECK_FALSE(patients(a.test).count(p));
  }
  // 9 patients: floor(0.95) = 0, so max(1, .) = 1 each.
  std::vector<CaseInfo> few(cases.begin(), cases.begin() + 18);
  const Split s9 = split_by_patient(few, 42);
  CHECK(patients(s9.val).size() == 1);
  CHECK(patients(s9.test).size() == 1);

  const fs::path dir = scratch_folder("split");
  write_split((dir / "split.json").string(), a);
  const Split read = read_split((dir / "split.json").string(), cases);
  CHECK(read.train == a.train);
  CHECK(read.seed == 42);
  std::vector<CaseInfo> fewer(cases.begin() + 1, cases.end());
  CHECK_THAT(data_error([&] { read_split((dir / "split.json").string(), fewer); }),
             Catch::Contains("split.json: case '") && Catch::Contains("is not in the dataset"));
  std::vector<CaseInfo> two(cases.begin(), cases.begin() + 3);  // patients 101 and 102
  CHECK_THAT(data_error([&] { split_by_patient(two, 42); }), Catch::Contains("needs at least 3"));
}

TEST_CASE("folds deal every non-test patient into exactly one validation fold", "[split]") {
  std::vector<CaseInfo> cases;
  for (int p = 1; p <= 23; ++p)
    for (int week = 0; week < 1 + p % 2; ++week)
      cases.push_back(
          {concat("Case_", 100 + p, "_Week", week), concat("Case_", 100 + p), {}, "", {}});
  const auto patients = [&](const std::vector<std::string>& names) {
    std::set<std::string> out;
    for (const std::string& n : names) out.insert(n.substr(0, 8));
    return out;
  };
  const Split plain = split_by_patient(cases, 42);
  std::map<std::string, int> validated;  // patient -> how many folds validate it
  for (int k = 0; k < 5; ++k) {
    INFO("fold " << k);
    const Split s = split_by_patient(cases, 42, {5, k});
    CHECK(s.test == plain.test);  // the folds' models are compared on the same held-out cases
    CHECK(s.train.size() + s.val.size() + s.test.size() == cases.size());
    // 23 patients, 1 for the test set: 22 dealt into folds of 5, 5, 4, 4, 4.
    CHECK(patients(s.val).size() == (k < 2 ? 5u : 4u));
    for (const std::string& p : patients(s.val)) {
      CHECK_FALSE(patients(s.train).count(p));
      CHECK_FALSE(patients(s.test).count(p));
      ++validated[p];
    }
    for (const std::string& p : patients(s.train)) CHECK_FALSE(patients(s.test).count(p));
    const fs::path dir = scratch_folder("folds");
    write_split((dir / "split.json").string(), s);
    const Split read = read_split((dir / "split.json").string(), cases);
    CHECK((read.folds.count == 5 && read.folds.fold == k));
    CHECK(read.val == s.val);
  }
  CHECK(validated.size() == 22);
  for (const auto& [patient, count] : validated) CHECK(count == 1);
  std::vector<CaseInfo> four(cases.begin(), cases.begin() + 6);  // patients 101 to 104
  CHECK_THAT(data_error([&] {
               split_by_patient(four, 42, {5, 0});
             }),
             Catch::Contains("fewer than the 5 folds"));
}

TEST_CASE("class weights follow N / (C * max(N_c, 1))", "[split]") {
  const std::vector<double> w = weighted_ce_weights({90, 10, 0});
  CHECK(w[0] == Approx(100.0 / 270));
  CHECK(w[1] == Approx(100.0 / 30));
  CHECK(w[2] == Approx(100.0 / 3));
}
