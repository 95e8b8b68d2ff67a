// Cross-validation, ensembles and post-processing end to end: cross_validate trains two folds of
// phantoms on disk and writes its summary; predict segments with an ensemble of two identical
// checkpoints as with one, refuses models that disagree, and keeps one component per class
// with --postprocess lcc or auto.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "io/json.h"
#include "io/nifti.h"
#include "io/split.h"
#include "scoring/postprocess.h"
#include "tests/support/programs.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

const std::string kFoldRun =
    " --device cpu --size 16 --features 4 --depth 2 --batch 2 --accum 1 --lr 1e-2 --epochs 2 "
    "--no-cache";

// Phantoms on disk (the HipMRI layout): 12 cases of 32x32x16.
fs::path phantom_data(const std::string& name) {
  const fs::path data = scratch_folder(name);
  REQUIRE(
      run_command(kPhantoms + " --out " + data.string() + " --phantoms 12 --phantom-size 32,32,16")
          .code == 0);
  return data;
}

std::vector<std::uint8_t> segmentation(const fs::path& path) {
  const NiftiVolume v = read_nifti(path.string());
  return {v.values.begin(), v.values.end()};
}

}  // namespace

TEST_CASE("cross_validate trains every fold and summarises them, predict reads the summary",
          "[e2e][folds]") {
  const fs::path data = phantom_data("cv_data"), out = scratch_folder("cv");
  const std::string command = kCrossValidate + " --folds 2 --device cpu --out " + out.string() +
                              " --trainer-flags \"--data " + data.string() + kFoldRun + "\"";
  const auto r = run_command(command);
  INFO(r.output);
  REQUIRE(r.code == 0);
  // Every non-test patient validated by exactly one fold; both folds share the test set.
  std::vector<Split> splits;
  std::vector<CaseInfo> cases;
  for (const char* fold : {"fold_0", "fold_1"}) {
    const json::Value s = json::parse(read_text(out / fold / "split.json"), "split.json");
    if (cases.empty())
      for (const char* key : {"train", "val", "test"})
        for (const json::Value& name : s.find(key)->items)
          cases.push_back({name.text, name.text.substr(0, 8), {}, "", {}});
    splits.push_back(read_split((out / fold / "split.json").string(), cases));
    CHECK(splits.back().folds.count == 2);
  }
  CHECK(splits[0].test == splits[1].test);
  std::multiset<std::string> validated(splits[0].val.begin(), splits[0].val.end());
  validated.insert(splits[1].val.begin(), splits[1].val.end());
  CHECK(validated.size() == cases.size() - splits[0].test.size());
  for (const std::string& name : validated) CHECK(validated.count(name) == 1);

  const json::Value summary = json::parse(read_text(out / "summary.json"), "summary.json");
  CHECK(summary.find("folds")->text == "2");
  const json::Value* prostate = summary.find("test_dice_native")->find("prostate");
  REQUIRE(prostate != nullptr);
  CHECK(prostate->find("folds")->items.size() == 2);
  REQUIRE(summary.find("postprocess_lcc_classes") != nullptr);
  CHECK(fs::exists(out / "summary.md"));

  // A second call finds both folds finished and only summarises again.
  const auto again = run_command(command);
  CHECK(again.code == 0);
  CHECK_THAT(again.output, !Catch::Contains("running:"));

  const std::string image = (data / "semantic_MRs" / "Case_001_Week0_LFOV.nii.gz").string();
  const auto predicted = run_command(
      kPredict + " --device cpu --checkpoint " + (out / "fold_0" / "best.safetensors").string() +
      " " + (out / "fold_1" / "best.safetensors").string() + " --input " + image + " --output " +
      (out / "segs").string() + " --postprocess auto");
  INFO(predicted.output);
  CHECK(predicted.code == 0);
  CHECK_THAT(predicted.output, Catch::Contains("--postprocess auto"));

  const auto bad = run_command(kCrossValidate + " --folds 2 --out " + out.string() +
                               " --trainer-flags \"--fold 1\"");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.output, Catch::Contains("--fold is cross_validate's to set"));
  CHECK(run_command(kTrainer + " --device cpu --folds 2 --fold 2 --out " + (out / "bad").string())
            .code == 2);

  // Folds trained with other settings are not summarised as this run's: other trainer flags or
  // another fold count are a usage error naming the difference, until --restart trains again.
  const std::string other = kCrossValidate + " --device cpu --out " + out.string() +
                            " --trainer-flags \"--data " + data.string() + kFoldRun +
                            " --features 2\"";
  auto differs = run_command(other + " --folds 2");
  CHECK(differs.code == 2);
  CHECK_THAT(differs.output, Catch::Contains("fold_0 was trained with --trainer-flags") &&
                                 Catch::Contains("--restart"));
  std::string three = command;
  three.replace(three.find("--folds 2"), 9, "--folds 3");
  differs = run_command(three);
  CHECK(differs.code == 2);
  CHECK_THAT(differs.output, Catch::Contains("was trained as one of --folds 2, not 3"));
  const auto restarted = run_command(other + " --folds 2 --restart");
  INFO(restarted.output);
  CHECK(restarted.code == 0);
  CHECK_THAT(read_text(out / "fold_1" / "cross_validate.json"), Catch::Contains("--features 2"));
  CHECK(run_command(other + " --folds 2").code == 0);  // now the folds' own settings
}

TEST_CASE("an ensemble of two identical checkpoints segments as one, lcc leaves one component",
          "[e2e][ensemble]") {
  const fs::path data = phantom_data("ensemble_data"), out = scratch_folder("ensemble");
  REQUIRE(run_command(kTrainer + " --data " + data.string() + kFoldRun + " --out " +
                      (out / "run").string())
              .code == 0);
  const fs::path a = out / "run" / "best.safetensors", copy = out / "copy.safetensors";
  fs::copy_file(a, copy);
  const std::string image = (data / "semantic_MRs" / "Case_002_Week0_LFOV.nii.gz").string();
  const std::string common = " --device cpu --input " + image;
  REQUIRE(run_command(kPredict + common + " --checkpoint " + a.string() + " --output " +
                      (out / "one").string())
              .code == 0);
  const auto two = run_command(kPredict + common + " --checkpoint " + a.string() + " " +
                               copy.string() + " --output " + (out / "two").string());
  INFO(two.output);
  REQUIRE(two.code == 0);
  const std::string seg = "Case_002_Week0_LFOV_seg.nii.gz";
  CHECK(segmentation(out / "one" / seg) == segmentation(out / "two" / seg));

  REQUIRE(run_command(kPredict + common + " --checkpoint " + a.string() + " --output " +
                      (out / "lcc").string() + " --postprocess lcc")
              .code == 0);
  const NiftiVolume kept = read_nifti((out / "lcc" / seg).string());
  const std::vector<std::uint8_t> labels(kept.values.begin(), kept.values.end());
  const Grid grid{kept.geometry.nz, kept.geometry.ny, kept.geometry.nx};
  for (std::uint8_t c = 1; c < 6; ++c) {
    std::vector<std::uint8_t> mask(labels.size());
    for (std::size_t v = 0; v < labels.size(); ++v) mask[v] = labels[v] == c;
    std::vector<std::int64_t> sizes;
    connected_components(mask.data(), grid, sizes);
    CHECK(sizes.size() <= 1);
  }

  // Models that disagree on their classes are no ensemble.
  REQUIRE(run_command(kTrainer + " --data " + data.string() + kFoldRun + " --classes 7 --out " +
                      (out / "seven").string())
              .code == 0);
  const auto mixed = run_command(kPredict + common + " --checkpoint " + a.string() + " " +
                                 (out / "seven" / "best.safetensors").string() + " --output " +
                                 (out / "mixed").string());
  CHECK(mixed.code == 2);
  CHECK_THAT(mixed.output, Catch::Contains("cannot be an ensemble"));
}
