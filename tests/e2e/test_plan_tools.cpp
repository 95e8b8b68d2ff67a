// The plan end to end: the plan tool on anisotropic phantoms keeps z unpooled and its kernels flat
// at the first levels; trainer --plan auto saves plan.json and takes its settings where no flag
// is given; --plan FILE reads an edited one; a channel named CT is trained and segmented with
// its clipped z-score, recorded in the checkpoint; and the plan's usage errors.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "io/json.h"
#include "io/nifti.h"
#include "io/safetensors.h"
#include "tests/support/channel_data.h"
#include "tests/support/programs.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

// Phantoms of 64x64x8 voxels: 6.4 mm in-plane, 40 mm between slices.
const std::string kFlatPhantoms = " --phantoms 8 --phantom-size 64,64,8";
const std::string kShortRun = " --device cpu --features 4 --iters 2 --epochs 1 --no-cache";

std::string setting(const fs::path& json_file, const std::string& key) {
  const json::Value root = json::parse_file(json_file.string());
  return root.find("settings")->find(key)->text;
}

}  // namespace

TEST_CASE("the plan of anisotropic phantoms keeps z unpooled and its kernels flat at first",
          "[e2e][plan]") {
  const fs::path data = scratch_folder("plan_flat_data");
  const auto made = run_command(kPhantoms + " --out " + data.string() + kFlatPhantoms);
  INFO(made.output);
  REQUIRE(made.code == 0);
  const fs::path plan = scratch_folder("plan_flat") / "plan.json";
  const auto r = run_command(kPlan + " --data " + data.string() + " --out " + plan.string());
  INFO(r.output);
  REQUIRE(r.code == 0);
  // z at 40 mm is more than twice 6.4 and 12.8 mm: flat at levels 1 and 2; at 25.6 mm in-plane
  // it pools too (8 -> 4 voxels), then y and x alone.
  CHECK(setting(plan, "spacing") == "6.40625,6.40625,40");
  CHECK(setting(plan, "kernel-sizes") == "3,3,1;3,3,1;3,3,3;3,3,3;3,3,3");
  CHECK(setting(plan, "pool-sizes") == "2,2,1;2,2,1;2,2,2;2,2,1");
  CHECK(setting(plan, "patch") == "64,64,8");
  CHECK_THAT(r.output, Catch::Contains("plan: patch 64,64,8"));
  const json::Value root = json::parse_file(plan.string());
  CHECK(root.find("fingerprint")->find("cases")->as_int("plan.json") == 8);

  // The same plan from the trainer, given a flag that wins over it.
  const fs::path run = scratch_folder("plan_flat_run");
  const auto t = run_command(kTrainer + " --plan auto --batch 3 --out " + run.string() +
                             kFlatPhantoms + kShortRun);
  INFO(t.output);
  REQUIRE(t.code == 0);
  const fs::path config = run / "config.json";
  CHECK(setting(config, "batch") == "3");
  CHECK(setting(config, "kernel-sizes") == "3,3,1;3,3,1;3,3,3;3,3,3;3,3,3");
  CHECK(setting(config, "mode") == "patch");
  CHECK(setting(run / "plan.json", "batch") == "2");
  CHECK_THAT(read_text(run / "train.log"), Catch::Contains("plan: patch 64,64,8, batch 2"));

  // An edited plan.json, read by --plan FILE; the command line still wins.
  std::string text = read_text(plan);
  const std::string patch = "\"patch\": \"64,64,8\"";
  text.replace(text.find(patch), patch.size(), "\"patch\": \"32,32,8\"");
  std::ofstream(plan.parent_path() / "edited.json") << text;
  const fs::path edited = scratch_folder("plan_edited_run");
  // A topology flag given replaces the plan's three (depth, kernel and pool sizes) as one.
  const auto e = run_command(kTrainer + " --plan " + (plan.parent_path() / "edited.json").string() +
                             " --depth 3 --out " + edited.string() + kFlatPhantoms + kShortRun);
  INFO(e.output);
  REQUIRE(e.code == 0);
  CHECK(setting(edited / "config.json", "patch") == "32,32,8");
  CHECK(setting(edited / "config.json", "depth") == "3");
  CHECK(setting(edited / "config.json", "kernel-sizes").empty());
  CHECK(setting(edited / "config.json", "pool-sizes").empty());
  CHECK(fs::exists(edited / "plan.json"));
}

TEST_CASE("a channel named CT trains and segments with its clipped z-score", "[e2e][plan]") {
  const fs::path data = unet3d::testing::two_channel_dataset("plan_ct_data");
  std::string names = read_text(data / "dataset.json");
  names.replace(names.find("\"T1\""), 4, "\"CT\"");
  std::ofstream(data / "dataset.json") << names;
  const fs::path run = scratch_folder("plan_ct_run");
  const auto t = run_command(kTrainer + " --data " + data.string() + " --plan auto --out " +
                             run.string() + kShortRun);
  INFO(t.output);
  REQUIRE(t.code == 0);
  const std::string normalization = setting(run / "config.json", "normalization");
  CHECK_THAT(normalization, Catch::StartsWith("ct:"));
  CHECK_THAT(normalization, Catch::EndsWith(";zscore"));
  const SafetensorsFile best = read_safetensors((run / "best.safetensors").string());
  CHECK(best.metadata.at("format") == "unet3d-v2");
  CHECK(best.metadata.at("normalization") == normalization);
  // predict on the test cases: the test phase's Dice, case by case (the same normalisation).
  const json::Value split = json::parse_file((run / "split.json").string());
  const fs::path test_images = scratch_folder("plan_ct_test_images");
  for (const json::Value& name : split.find("test")->items)
    for (const char* channel : {"_0000.nii.gz", "_0001.nii.gz"})
      fs::copy_file(data / "imagesTr" / (name.text + channel), test_images / (name.text + channel));
  const fs::path out = scratch_folder("plan_ct_predict");
  const std::string predict =
      kPredict + " --device cpu --probabilities --input " + test_images.string() + " --checkpoint ";
  const auto p = run_command(predict + (run / "best.safetensors").string() + " --output " +
                             out.string() + " --labels " + (data / "labelsTr").string());
  INFO(p.output);
  REQUIRE(p.code == 0);
  const auto predicted = unet3d::testing::read_csv(out / "cases.csv");
  const auto tested = unet3d::testing::read_csv(run / "test" / "cases.csv");
  REQUIRE(predicted.size() == tested.size());
  for (std::size_t row = 1; row < tested.size(); ++row) {
    INFO(tested[row][0] << " " << tested[row][1]);
    CHECK(predicted[row][0] == tested[row][0]);
    CHECK(predicted[row][1] == tested[row][1]);
    CHECK(predicted[row][2] == tested[row][2]);  // Dice
  }
  // The same weights told to z-score every channel give other probabilities.
  SafetensorsFile zscored = best;
  zscored.metadata["normalization"] = "zscore;zscore";
  const fs::path other = scratch_folder("plan_ct_zscored");
  write_safetensors((other / "model.safetensors").string(), zscored);
  const auto z = run_command(predict + (other / "model.safetensors").string() + " --output " +
                             (other / "segs").string());
  INFO(z.output);
  REQUIRE(z.code == 0);
  const std::string first = split.find("test")->items.front().text + "_prob.nii.gz";
  CHECK(read_nifti((out / first).string()).values !=
        read_nifti((other / "segs" / first).string()).values);
}

TEST_CASE("a planned run resumes with its plan, and a plan is for patch mode", "[e2e][plan]") {
  const fs::path straight = scratch_folder("plan_resume_straight"),
                 broken = scratch_folder("plan_resume_broken");
  const std::string flags =
      " --plan auto --epochs 2" + kFlatPhantoms + " --device cpu --features 4 --iters 2 --no-cache";
  REQUIRE(run_command(kTrainer + " --out " + straight.string() + flags).code == 0);
  const auto stopped =
      run_command(kTrainer + " --out " + broken.string() + flags + " --interrupt-after 3");
  INFO(stopped.output);
  REQUIRE(stopped.code == 130);
  const std::string plan = read_text(broken / "plan.json");
  const auto resumed = run_command(kTrainer + " --resume " + broken.string());
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  CHECK(read_text(broken / "plan.json") == plan);
  CHECK(plan == read_text(straight / "plan.json"));
  unet3d::testing::check_same_run(straight, broken);

  std::string text = plan;
  text.replace(text.find("\"mode\": \"patch\""), 15, "\"mode\": \"resize\"");
  std::ofstream(broken.parent_path() / "plan_resize.json") << text;
  const auto refused =
      run_command(kTrainer + " --plan " + (broken.parent_path() / "plan_resize.json").string() +
                  " --out " + scratch_folder("plan_resize_run").string() + kFlatPhantoms);
  INFO(refused.output);
  CHECK(refused.code == 3);
  CHECK_THAT(refused.output, Catch::Contains("a plan is for patch mode"));
}

TEST_CASE("the plan's flags refuse what cannot be planned", "[e2e][plan]") {
  const auto check = [](const std::string& command, const std::string& message) {
    const auto r = run_command(command);
    INFO(command << "\n" << r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(message));
  };
  const std::string out = " --out " + scratch_folder("plan_refused").string();
  check(kPlan, "--data is required");
  check(kPlan + " --data . --memory-gb 0", "--memory-gb 0");
  check(kTrainer + " --plan auto --mode resize" + out + kShortRun, "a plan is for patch mode");
  check(kTrainer + " --plan auto --memory-gb 0.000001" + out + kFlatPhantoms + kShortRun,
        "raise --memory-gb");
  check(kTrainer + " --normalization ct:1,2" + out + kShortRun, "--normalization: 'ct:1,2'");
  check(kTrainer + " --preset nnunet-gpu" + out, "nnunet, nnunet-cpu");
}
