// Fine-tuning end to end on the CPU: `trainer --init-from` a tiny phantom run's checkpoint, on
// phantoms of another class count and on two-channel data, with the log naming what was loaded
// and what was kept fresh; its resumes (after a checkpoint and before the first); and the flags
// and files it refuses.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "io/safetensors.h"
#include "tests/support/channel_data.h"
#include "tests/support/programs.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"
#include "tools/model/checkpoint.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

// What a fine-tuned run gives beside --init-from: the network, its size and mode are the
// checkpoint's.
const std::string kTuned =
    " --device cpu --batch 2 --accum 1 --phantoms 16 --phantom-size 32,32,16 --lr 1e-2";

// A one-channel, six-class checkpoint of the tiny run (16^3, 4 features, depth 2, BatchNorm),
// trained once per process.
const std::string& source_checkpoint() {
  static const std::string path = [] {
    const fs::path out = scratch_folder("fine_tuning_source");
    const Result r = run(kTrainer + " --device cpu --epochs 1 --out " + out.string() + kTinyRun);
    INFO(r.output);
    REQUIRE(r.code == 0);
    return (out / "best.safetensors").string();
  }();
  return path;
}

int occurrences(const std::string& text, const std::string& part) {
  int n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("trainer --init-from with other classes loads all but the head, trains and resumes",
          "[e2e][fine-tuning]") {
  const std::string& source = source_checkpoint();
  const fs::path straight = scratch_folder("fine_tuning_classes"),
                 broken = scratch_folder("fine_tuning_classes_broken");
  const std::string flags = " --init-from " + source + " --classes 7 --epochs 2" + kTuned;
  const Result r = run(kTrainer + " --out " + straight.string() + flags);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string loaded =
      "init-from " + source +
      ": loaded 64 of 66 tensors; kept fresh: head.weight [7,4,1,1,1] (checkpoint [6,4,1,1,1]), "
      "head.bias [7] (checkpoint [6])";
  CHECK_THAT(r.output, Catch::Contains(loaded) &&
                           Catch::Contains(": loaded enc1.conv1.weight, enc1.bn1.weight"));
  const std::string config = read_text(straight / "config.json");
  CHECK_THAT(config, Catch::Contains("\"init-from\": \"" + source + "\"") &&
                         Catch::Contains("\"features\": \"4\"") &&
                         Catch::Contains("\"size\": \"16\"") &&
                         Catch::Contains("\"depth\": \"2\""));
  const ModelInfo last = read_model_info((straight / "last.safetensors").string());
  CHECK(last.config.num_classes == 7);
  CHECK(last.epoch == 2);

  // Stopped in its second epoch and resumed: its own checkpoint, not --init-from's, and the run
  // ends as the uninterrupted one did.
  const Result stopped =
      run(kTrainer + " --out " + broken.string() + flags + " --interrupt-after 7");
  INFO(stopped.output);
  REQUIRE(stopped.code == 130);
  const Result resumed = run(kTrainer + " --resume " + broken.string());
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  CHECK_THAT(resumed.output, Catch::Contains("resuming at epoch 2"));
  CHECK_FALSE(resumed.output.find("init-from " + source + ": loaded") != std::string::npos);
  CHECK(occurrences(read_text(broken / "train.log"), loaded) == 1);
  check_same_run(straight, broken);
}

TEST_CASE("a fine-tuned run stopped before its first checkpoint resumes from --init-from",
          "[e2e][fine-tuning]") {
  const std::string& source = source_checkpoint();
  const fs::path out = scratch_folder("fine_tuning_early_stop");
  const Result stopped = run(kTrainer + " --out " + out.string() + " --init-from " + source +
                             " --epochs 1 --interrupt-during preprocessing" + kTuned);
  INFO(stopped.output);
  REQUIRE(stopped.code == 130);
  const Result resumed = run(kTrainer + " --resume " + out.string());
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  CHECK_THAT(resumed.output, Catch::Contains("no checkpoint in") &&
                                 Catch::Contains("init-from " + source + ": loaded 66 of 66"));
}

TEST_CASE(
    "trainer --init-from with other channels keeps the first convolution and normalisation fresh",
    "[e2e][fine-tuning]") {
  const std::string& source = source_checkpoint();
  const fs::path data = two_channel_dataset("fine_tuning_channels_data"),
                 out = scratch_folder("fine_tuning_channels");
  // A learning rate of 0 leaves every loaded weight as the checkpoint has it.
  const Result r =
      run(kTrainer + " --data " + data.string() + " --out " + out.string() + " --init-from " +
          source + " --epochs 1 --lr 0 --no-cache --device cpu --batch 2 --accum 1");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output,
             Catch::Contains("loaded 65 of 66 tensors; kept fresh: enc1.conv1.weight [4,2,3,3,3] "
                             "(checkpoint [4,1,3,3,3])") &&
                 Catch::Contains("2 input channel(s) where the checkpoint has 1"));
  CHECK_THAT(read_text(out / "config.json"), Catch::Contains("\"normalization\": \"zscore\""));
  const SafetensorsFile tuned = read_safetensors((out / "last.safetensors").string());
  const SafetensorsFile trained = read_safetensors(source);
  CHECK(tuned.metadata.at("in_channels") == "2");
  CHECK(tuned.require("enc1.conv1.weight", "tuned").shape ==
        std::vector<std::int64_t>{4, 2, 3, 3, 3});
  for (const char* name : {"enc2.conv1.weight", "head.weight", "up1.weight"}) {
    INFO(name);
    CHECK(tuned.require(name, "tuned").bytes == trained.require(name, "trained").bytes);
  }
}

TEST_CASE("trainer --init-from with a contradicting flag or a bad file is refused",
          "[e2e][fine-tuning]") {
  const std::string& source = source_checkpoint();
  const fs::path out = scratch_folder("fine_tuning_refused");
  const auto attempt = [&](const std::string& flags) {
    return run(kTrainer + " --out " + (out / "run").string() + flags + kTuned);
  };
  const std::pair<std::string, std::string> contradictions[] = {
      {" --features 8", "--features 8 contradicts --init-from " + source + " (features 4)"},
      {" --mode patch", "--mode patch contradicts --init-from " + source + " (mode resize)"},
      {" --size 32", "--size 32 contradicts --init-from " + source + " (size 16)"},
      {" --norm instance", "(norm batch)"},
      {" --plan auto", "--plan auto with --init-from " + source}};
  for (const auto& [flag, message] : contradictions) {
    const Result r = attempt(" --init-from " + source + flag);
    INFO(r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(message));
  }
  CHECK_FALSE(fs::exists(out / "run" / "config.json"));

  // A cut file is a data error naming it.
  const fs::path cut = out / "cut.safetensors";
  fs::copy_file(source, cut);
  fs::resize_file(cut, fs::file_size(cut) - 100);
  const Result r = attempt(" --init-from " + cut.string());
  INFO(r.output);
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains(cut.string()));
}
