// Two input channels end to end: phantoms written in the Decathlon layout as <case>_0000 (the
// phantom) and <case>_0001 (another contrast of it), trained in both modes with augmentation,
// then segmented by predict from the channel files joined by commas and from a folder, and the
// inputs that do not fit the model refused.
#include <catch2/catch.hpp>
#include <filesystem>

#include "io/nifti.h"
#include "io/phantom.h"
#include "tests/support/channel_data.h"
#include "tests/support/programs.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"
#include "tools/model/checkpoint.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

const std::string kTwoChannelRun =
    " --device cpu --size 16 --features 4 --depth 2 --batch 2 --accum 1 --lr 1e-2 --no-cache "
    "--augment nnunet";

std::vector<float> values(const fs::path& path) {
  return read_nifti(path.string()).values;
}

}  // namespace

TEST_CASE("two input channels train in both modes and predict takes them", "[e2e][channels]") {
  const fs::path data = two_channel_dataset("channels_data");
  const fs::path resize = scratch_folder("channels_resize"),
                 patch = scratch_folder("channels_patch");
  const auto r = run_command(kTrainer + " --data " + data.string() + " --out " + resize.string() +
                             " --epochs 2" + kTwoChannelRun);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(read_text(resize / "train.log"), Catch::Contains("2 input channel(s): T1, T2"));
  CHECK(read_model_info((resize / "best.safetensors").string()).config.in_channels == 2);
  CHECK(fs::exists(resize / "test" / "report.json"));
  const auto p = run_command(kTrainer + " --data " + data.string() + " --out " + patch.string() +
                             " --epochs 1 --mode patch --patch 16,16,8 --iters 2" + kTwoChannelRun);
  INFO(p.output);
  REQUIRE(p.code == 0);
  CHECK(read_model_info((patch / "best.safetensors").string()).config.in_channels == 2);

  // A new case's two channels, joined by commas, and a folder holding two cases.
  const fs::path input = scratch_folder("channels_input"), ts = input / "imagesTs";
  const std::vector<PhantomCase> fresh = phantom_cases(14, 9);
  for (std::size_t k = 12; k < 14; ++k)
    write_channel_files(ts, fresh[k].name(), make_phantom(fresh[k], 30, 34, 14, 9));
  const std::string name = fresh[12].name();
  const std::string pair =
      (ts / (name + "_0000.nii.gz")).string() + "," + (ts / (name + "_0001.nii.gz")).string();
  for (const fs::path& run : {resize, patch}) {
    const std::string checkpoint =
        " --device cpu --checkpoint " + (run / "best.safetensors").string();
    const fs::path by_pair = input / ("pair_" + run.filename().string()),
                   by_folder = input / ("folder_" + run.filename().string());
    const auto one =
        run_command(kPredict + checkpoint + " --input " + pair + " --output " + by_pair.string());
    INFO(one.output);
    REQUIRE(one.code == 0);
    const NiftiGeometry g = read_nifti_geometry((by_pair / (name + "_seg.nii.gz")).string());
    CHECK((g.nx == 30 && g.ny == 34 && g.nz == 14));
    const auto all = run_command(kPredict + checkpoint + " --input " + ts.string() + " --output " +
                                 by_folder.string());
    INFO(all.output);
    REQUIRE(all.code == 0);
    CHECK(fs::exists(by_folder / (fresh[13].name() + "_seg.nii.gz")));
    CHECK(values(by_folder / (name + "_seg.nii.gz")) == values(by_pair / (name + "_seg.nii.gz")));

    // One channel for a two-channel model: a usage error naming both counts.
    const auto single =
        run_command(kPredict + checkpoint + " --input " + (ts / (name + "_0000.nii.gz")).string() +
                    " --output " + (input / "refused").string());
    CHECK(single.code == 2);
    CHECK_THAT(single.output,
               Catch::Contains("1 channel(s), but") && Catch::Contains("best.safetensors takes 2"));
    CHECK_FALSE(fs::exists(input / "refused" / (name + "_seg.nii.gz")));
  }

  // A channel on another grid is a data error naming both files.
  const fs::path odd = input / "odd";
  write_channel_files(odd, "x", make_phantom(fresh[12], 30, 34, 14, 9));
  const Phantom smaller = make_phantom(fresh[12], 30, 34, 12, 9);
  write_nifti((odd / "x_0001.nii.gz").string(), smaller.geometry, smaller.image.data(),
              NiftiStorage::i16);
  const auto mismatch = run_command(
      kPredict + " --device cpu --checkpoint " + (resize / "best.safetensors").string() +
      " --input " + (odd / "x_0000.nii.gz").string() + "," + (odd / "x_0001.nii.gz").string() +
      " --output " + (input / "refused").string());
  CHECK(mismatch.code == 3);
  CHECK_THAT(mismatch.output, Catch::Contains("x_0001.nii.gz (channel 1) and") &&
                                  Catch::Contains("are not on the same grid"));
}
