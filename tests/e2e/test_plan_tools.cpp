// The plan end to end: the plan tool on anisotropic phantoms keeps z unpooled and its kernels flat
// at the first levels; trainer --plan auto saves plan.json and takes its settings where no flag
// is given; --plan FILE reads an edited one; a channel named CT is trained and segmented with
// its clipped z-score, recorded in the checkpoint; and the plan's usage errors.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "io/json.h"
#include "io/safetensors.h"
#include "tests/support/channel_data.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d;
using unet3d::testing::read_text;
using unet3d::testing::run_command;
using unet3d::testing::scratch_folder;
namespace fs = std::filesystem;

namespace {

const std::string kTrainer = TRAINER_PATH, kPredict = PREDICT_PATH, kPlan = PLAN_PATH,
                  kMakePhantoms = MAKE_PHANTOMS_PATH;
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
  const auto made = run_command(kMakePhantoms + " --out " + data.string() + kFlatPhantoms);
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
  const auto e = run_command(kTrainer + " --plan " + (plan.parent_path() / "edited.json").string() +
                             " --depth 3 --kernel-sizes '3,3,1;3,3,1;3,3,3;3,3,3' --pool-sizes "
                             "'2,2,1;2,2,1;2,2,2' --out " +
                             edited.string() + kFlatPhantoms + kShortRun);
  INFO(e.output);
  REQUIRE(e.code == 0);
  CHECK(setting(edited / "config.json", "patch") == "32,32,8");
  CHECK(setting(edited / "config.json", "depth") == "3");
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
  const fs::path out = scratch_folder("plan_ct_predict");
  const auto p =
      run_command(kPredict + " --device cpu --checkpoint " + (run / "best.safetensors").string() +
                  " --input " + (data / "imagesTr").string() + " --output " + out.string());
  INFO(p.output);
  REQUIRE(p.code == 0);
  CHECK(std::distance(fs::directory_iterator(out), fs::directory_iterator{}) >= 12);
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
