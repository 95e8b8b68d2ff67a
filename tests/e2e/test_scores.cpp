// The surface metrics where users meet them: predict --labels and evaluate write the same
// cases.csv, and the trainer's test phase writes test/cases.csv and the per-class summaries.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "io/json.h"
#include "tests/support/programs.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

TEST_CASE("predict and evaluate write the same cases.csv, the test phase writes its own",
          "[e2e][scores]") {
  const fs::path run = scratch_folder("scores_run"), data = scratch_folder("scores_data");
  const fs::path segs = scratch_folder("scores_segs"), scored = scratch_folder("scores_eval");
  REQUIRE(run_command(std::string(TRAINER_PATH) + " --out " + run.string() +
                      " --epochs 1 --device cpu" + unet3d::testing::kTinyRun)
              .code == 0);
  REQUIRE(run_command(std::string(MAKE_PHANTOMS_PATH) + " --out " + data.string() +
                      " --phantoms 2 --phantom-size 40,36,20")
              .code == 0);
  const std::string labels = (data / "semantic_labels_only").string();
  // In name order, evaluate's: predict scores its inputs in the order given.
  std::set<std::string> images;
  for (const auto& e : fs::directory_iterator(data / "semantic_MRs")) images.insert(e.path());
  std::string inputs;
  for (const std::string& image : images) inputs += " " + image;
  const auto predicted = run_command(std::string(PREDICT_PATH) + " --device cpu --checkpoint " +
                                     (run / "best.safetensors").string() + " --input" + inputs +
                                     " --output " + segs.string() + " --labels " + labels);
  INFO(predicted.output);
  REQUIRE(predicted.code == 0);
  CHECK_THAT(
      predicted.output,
      Catch::Contains("| class | Dice | HD95 mm | ASSD mm | NSD | cases | absent | missed |"));
  const auto rows = read_csv(segs / "cases.csv");
  REQUIRE(rows.size() == 1 + 2 * 6);
  CHECK(rows[0] == std::vector<std::string>{"case", "class", "dice", "hd95_mm", "assd_mm", "nsd",
                                            "volume_pred_ml", "volume_true_ml"});
  CHECK(rows[1][1] == "background");
  CHECK(std::stod(rows[1][7]) > 0);  // the true background's volume

  const auto evaluated = run_command(std::string(EVALUATE_PATH) + " --pred " + segs.string() +
                                     " --labels " + labels + " --output " + scored.string() +
                                     " --class-names background,body,bone,bladder,rectum,prostate");
  INFO(evaluated.output);
  REQUIRE(evaluated.code == 0);
  CHECK(read_text(scored / "cases.csv") == read_text(segs / "cases.csv"));
  CHECK(run_command(std::string(EVALUATE_PATH) + " --pred " + segs.string() + " --labels " +
                    segs.string() + " --output " + scored.string())
            .code == 3);  // no label for the segmentations' names there

  // The trainer's test phase, at native resolution.
  const auto test_rows = read_csv(run / "test" / "cases.csv");
  CHECK(test_rows.size() > 1);
  const json::Value report = json::parse(read_text(run / "test" / "report.json"), "report.json");
  const json::Value* body = report.find("surface")->find("per_class")->find("body");
  REQUIRE(body != nullptr);
  for (const char* metric : {"hd95_mm", "assd_mm", "nsd"})
    for (const char* field : {"mean", "median", "n", "n_absent", "n_inf"})
      CHECK(body->find(metric)->find(field) != nullptr);
  CHECK(report.find("native_resolution")->find("foreground_mean") != nullptr);
  CHECK_THAT(read_text(run / "test" / "report.md"),
             Catch::Contains("## Surface metrics at native resolution") &&
                 Catch::Contains("foreground mean"));
}

TEST_CASE("validation HD95 per class goes to metrics.csv with --val-metrics", "[e2e][scores]") {
  const fs::path run = scratch_folder("val_metrics");
  const auto r = run_command(std::string(TRAINER_PATH) + " --out " + run.string() +
                             " --epochs 2 --val-metrics --device cpu" + unet3d::testing::kTinyRun);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto rows = read_csv(run / "metrics.csv");
  REQUIRE(rows.size() == 3);
  const std::size_t first = 3 + 6 + 1;  // after val_dice_<6 classes> and val_dice_mean
  CHECK(rows[0][first] == "val_hd95_background");
  CHECK(rows[0][first + 5] == "val_hd95_prostate");
  CHECK(rows[0][first + 6] == "lr");
  // Empty where every case missed the class (HD95 infinite), else a distance.
  int measured = 0;
  for (std::size_t k = first; k < first + 6; ++k)
    if (!rows[2][k].empty()) {
      CHECK(std::stod(rows[2][k]) >= 0);
      ++measured;
    }
  CHECK(measured > 0);
}
