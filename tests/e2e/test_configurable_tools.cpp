// The configurable network end to end on the CPU: a run with every option on records §11's
// metadata and resumes bit for bit where it was interrupted, predict segments with its
// checkpoint and with the same weights as a plain state_dict, and the flags' usage errors.
#include <catch2/catch.hpp>
#include <filesystem>

#include "io/nifti.h"
#include "io/safetensors.h"
#include "tests/support/programs.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

// Depth 3, flat along z at the first level, instance norm, LeakyReLU, deep supervision, features
// capped, in patch mode on phantoms of 40x36x20 (patches of 16,16,8: multiples of 8,8,4).
const std::string kNetwork =
    " --features 4 --depth 3 --kernel-sizes '3,3,1;3,3,3;3,3,3;3,3,3' --pool-sizes "
    "'2,2,1;2,2,2;2,2,2' --max-features 8 --norm instance --activation leakyrelu "
    "--deep-supervision";
const std::string kRun =
    " --device cpu --mode patch --patch 16,16,8 --batch 2 --accum 2 --iters 4 --phantoms 12 "
    "--phantom-size 40,36,20 --lr 1e-2 --optimizer sgd --lr-schedule poly" +
    kNetwork;

}  // namespace

TEST_CASE("a run of the configurable network records its plan and resumes bit for bit",
          "[e2e][configurable]") {
  const fs::path straight = scratch_folder("configurable_straight"),
                 broken = scratch_folder("configurable_broken");
  const std::string flags = " --epochs 2 --augment nnunet" + kRun;
  const Result first = run(kTrainer + " --out '" + straight.string() + "'" + flags);
  INFO(first.output);
  REQUIRE(first.code == 0);
  const SafetensorsFile best = read_safetensors((straight / "best.safetensors").string());
  CHECK(best.metadata.at("format") == "unet3d-v2");
  CHECK(best.metadata.at("kernel_sizes") == "3,3,1;3,3,3;3,3,3;3,3,3");
  CHECK(best.metadata.at("pool_sizes") == "2,2,1;2,2,2;2,2,2");
  CHECK(best.metadata.at("max_features") == "8");
  CHECK(best.metadata.at("norm") == "instance");
  CHECK(best.metadata.at("activation") == "leakyrelu");
  CHECK(best.metadata.at("deep_supervision") == "true");
  CHECK(best.metadata.at("normalization") == "zscore");
  CHECK(best.find("ds2.weight") != nullptr);
  CHECK(best.find("enc1.bn1.running_mean") == nullptr);
  const std::string config = unet3d::testing::read_text(straight / "config.json");
  CHECK_THAT(config, Catch::Contains("\"kernel-sizes\": \"3,3,1;3,3,3;3,3,3;3,3,3\""));

  const Result stopped =
      run(kTrainer + " --out '" + broken.string() + "'" + flags + " --interrupt-after 5");
  INFO(stopped.output);
  REQUIRE(stopped.code == 130);
  const Result resumed = run(kTrainer + " --resume " + broken.string());
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  unet3d::testing::check_same_run(straight, broken);
}

TEST_CASE("predict segments with a configurable checkpoint, and with its plain state_dict",
          "[e2e][configurable]") {
  const fs::path out = scratch_folder("configurable_predict"),
                 data = scratch_folder("configurable_predict_data");
  REQUIRE(run(kTrainer + " --out '" + out.string() + "' --epochs 1" + kRun).code == 0);
  REQUIRE(run(MAKE_PHANTOMS_PATH + std::string(" --out ") + data.string() +
              " --phantoms 1 --phantom-size 44,30,18")
              .code == 0);
  const std::string image = (data / "semantic_MRs" / "Case_001_Week0_LFOV.nii.gz").string();
  const std::string common =
      " --input " + image + " --device cpu --labels " + (data / "semantic_labels_only").string();
  const Result r = run(kPredict + " --checkpoint " + (out / "best.safetensors").string() + common +
                       " --output " + (out / "segs").string());
  INFO(r.output);
  REQUIRE(r.code == 0);
  const NiftiGeometry seg =
      read_nifti_geometry((out / "segs" / "Case_001_Week0_LFOV_seg.nii.gz").string());
  CHECK((seg.nx == 44 && seg.ny == 30 && seg.nz == 18));

  // The same tensors without metadata: the plan is read off their shapes, the activation and
  // the patch mode given as flags; the segmentation is the same.
  SafetensorsFile plain = read_safetensors((out / "best.safetensors").string());
  plain.metadata.clear();
  plain.has_metadata = false;
  const std::string plain_path = (out / "plain.safetensors").string();
  write_safetensors(plain_path, plain);
  const std::string spacing =
      read_safetensors((out / "best.safetensors").string()).metadata.at("spacing");
  const std::string patch = " --mode patch --spacing " + spacing + " --patch 16,16,8";
  const Result relu = run(kPredict + " --checkpoint " + plain_path + common + patch + " --output " +
                          (out / "plain_relu").string());
  const Result leaky = run(kPredict + " --checkpoint " + plain_path + common + patch +
                           " --activation leakyrelu --output " + (out / "plain_leaky").string());
  INFO(relu.output << leaky.output);
  REQUIRE(relu.code == 0);
  REQUIRE(leaky.code == 0);
  const auto bytes = [](const fs::path& p) { return unet3d::testing::read_text(p); };
  const std::string seg_name = "Case_001_Week0_LFOV_seg.nii.gz";
  CHECK(bytes(out / "plain_leaky" / seg_name) == bytes(out / "segs" / seg_name));
}

TEST_CASE("the configurable network's flags refuse what cannot be built", "[e2e][configurable]") {
  const std::string base = kTrainer + " --device cpu --epochs 1 --phantoms 8 --out " +
                           scratch_folder("configurable_refusals").string();
  const struct {
    std::string flags, message;
  } cases[] = {
      {" --norm instance --sync-bn", "--sync-bn with --norm instance"},
      {" --depth 2 --deep-supervision", "--deep-supervision needs --depth 3 or more"},
      {" --depth 2 --kernel-sizes '3,3,3;3,3,3'", "--kernel-sizes: 2 kernel sizes for depth 2"},
      {" --depth 2 --pool-sizes '2,2,3;2,2,2'", "--pool-sizes: a pooling size of 3x2x2"},
      {" --depth 2 --kernel-sizes '3,3;3,3,3;3,3,3'", "--kernel-sizes: '3,3' in"},
      {" --norm group", "--norm: 'group' is not one of batch, instance"},
      {" --activation gelu", "--activation: 'gelu' is not one of relu, leakyrelu"},
      {" --max-features 0", "--max-features: '0' is not none, or a positive integer"},
      {" --depth 2 --size 26 --pool-sizes '2,2,1;2,2,2'",
       "--size 26 is not a multiple of the total pooling 4,4,2"},
  };
  for (const auto& c : cases) {
    const Result r = run(base + c.flags);
    INFO(c.flags << "\n" << r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(c.message));
  }
}
