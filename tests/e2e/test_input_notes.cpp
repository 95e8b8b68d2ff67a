// What the trainer says about its input before it trains: a --spacing that would resample a case
// out of all proportion is refused naming the flag and the case; a class count inferred from the
// labels is said so, a class almost no case holds is warned of; an empty validation or test list
// in --split is said at the start and in report.md (which then names last.safetensors, or says
// that there was no test phase).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "io/nifti.h"
#include "tests/support/programs.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

const std::string kTiny =
    " --device cpu --size 16 --features 2 --depth 2 --batch 1 --accum 1 --lr 1e-2 --epochs 1";

}  // namespace

TEST_CASE("a target spacing that resamples a case to a grid no network takes is refused",
          "[e2e][checks]") {
  const fs::path out = scratch_folder("spacing_refused");
  for (const char* spacing : {"1e-18,1,1", "1e30,1e30,1e30"}) {
    const auto r =
        run_command(kTrainer + " --out " + out.string() + kTiny +
                    " --mode patch --phantoms 8 --phantom-size 24,24,12 --spacing " + spacing);
    INFO(r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains("--spacing ") && Catch::Contains("case Case_001_Week0") &&
                             Catch::Contains("outside [2, 65536]"));
  }
  // A spacing fine enough to fit the grid rules but not the memory: the refusal names the case.
  const fs::path data = scratch_folder("spacing_data");
  REQUIRE(run_command(kPhantoms + " --out " + data.string() + " --phantoms 3 --phantom-size " +
                      "24,24,12")
              .code == 0);
  const auto r = run_command(kTrainer + " --out " + out.string() + kTiny + " --data " +
                             data.string() + " --no-cache --mode patch --spacing 0.02");
  INFO(r.output);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("needs at least") && Catch::Contains("the largest case"));
}

TEST_CASE("an inferred class count is said so, a class no case holds is warned of",
          "[e2e][checks]") {
  // Phantoms in the Decathlon layout without a dataset.json, one label holding a 7.
  const fs::path phantoms = scratch_folder("classes_phantoms"), data = scratch_folder("classes");
  REQUIRE(run_command(kPhantoms + " --out " + phantoms.string() +
                      " --phantoms 8 --phantom-size 24,24,12")
              .code == 0);
  fs::create_directories(data / "imagesTr");
  fs::create_directories(data / "labelsTr");
  for (const auto& e : fs::directory_iterator(phantoms / "semantic_MRs")) {
    const std::string name = e.path().filename().string();
    const std::string stem = name.substr(0, name.find("_LFOV"));
    fs::copy_file(e.path(), data / "imagesTr" / (stem + ".nii.gz"));
    NiftiVolume label =
        read_nifti((phantoms / "semantic_labels_only" / (stem + "_SEMANTIC_LFOV.nii.gz")).string());
    std::vector<std::uint8_t> values(label.values.begin(), label.values.end());
    if (stem == "Case_001_Week0") values[values.size() / 2] = 7;
    write_nifti((data / "labelsTr" / (stem + ".nii.gz")).string(), label.geometry, values.data(),
                NiftiStorage::u8);
  }
  const fs::path out = scratch_folder("classes_run");
  auto r = run_command(kTrainer + " --out " + out.string() + kTiny + " --data " + data.string() +
                       " --no-cache");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("8 classes, inferred from the label files (their largest "
                                       "value plus one"));
  // Nine classes asked for: class 8 is in none of the cases.
  r = run_command(kTrainer + " --out " + scratch_folder("classes_nine").string() + kTiny +
                  " --data " + data.string() + " --no-cache --classes 9");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("class 8 (class_8) is in 0 of the 8 cases") &&
                           !Catch::Contains("inferred from the label files"));
}

TEST_CASE("an empty validation or test list is said at the start and in report.md",
          "[e2e][checks]") {
  const std::string phantoms = " --phantoms 8 --phantom-size 24,24,12";
  const fs::path dir = scratch_folder("empty_lists");
  // Case_001 (4 cases), Case_002 (3), Case_003 (1): the patients of the phantoms above.
  std::ofstream(dir / "no_val.json")
      << R"({"seed": 42, "train": ["Case_002_Week0", "Case_002_Week1", "Case_002_Week2",)"
      << R"( "Case_001_Week0", "Case_001_Week1", "Case_001_Week2", "Case_001_Week3"],)"
      << R"( "val": [], "test": ["Case_003_Week0"]})";
  std::ofstream(dir / "no_test.json")
      << R"({"seed": 42, "train": ["Case_002_Week0", "Case_002_Week1", "Case_002_Week2",)"
      << R"( "Case_003_Week0"], "val": ["Case_001_Week0", "Case_001_Week1", "Case_001_Week2",)"
      << R"( "Case_001_Week3"], "test": []})";
  auto r = run_command(kTrainer + " --out " + (dir / "a").string() + kTiny + phantoms +
                       " --split " + (dir / "no_val.json").string());
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("the split has no validation cases"));
  CHECK_FALSE(fs::exists(dir / "a" / "best.safetensors"));
  CHECK_THAT(read_text(dir / "a" / "test" / "report.md"),
             Catch::Contains("Checkpoint `last.safetensors`") &&
                 Catch::Contains("there is no best.safetensors"));
  r = run_command(kTrainer + " --out " + (dir / "b").string() + kTiny + phantoms + " --split " +
                  (dir / "no_test.json").string());
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("the split has no test cases: there will be no test phase"));
  CHECK_FALSE(fs::exists(dir / "b" / "test" / "report.json"));
  CHECK_THAT(read_text(dir / "b" / "test" / "report.md"),
             Catch::Contains("The split has no test cases"));
}
