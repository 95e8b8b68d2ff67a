// Patch mode end to end on the CPU: trainer's run folder and checkpoint metadata, an interrupted
// and resumed run against an uninterrupted one, predict with the checkpoint's own settings and
// with a plain state_dict's flags, and the usage errors of patch mode's flags.
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

// Phantoms of 40x36x20 at their native spacing: patches of 16 voxels per side at most (size 16).
const std::string kPatchRun =
    " --device cpu --mode patch --size 16 --features 4 --depth 2 --batch 3 --accum 1 --iters 4 "
    "--phantoms 12 --phantom-size 40,36,20 --lr 1e-2";

}  // namespace

TEST_CASE("trainer --mode patch trains on patches and records its spacing and patch",
          "[e2e][patch]") {
  const fs::path out = scratch_folder("patch_run");
  const Result r = run(kTrainer + " --out " + out.string() + " --epochs 2" + kPatchRun);
  INFO(r.output);
  REQUIRE(r.code == 0);
  // 410 x 410 x 320 mm over 40 x 36 x 20: the median spacing keeps the grid, and the default
  // patch (multiples of 4) shrinks from 20x36x40 (z, y, x) to at most 16^3 voxels.
  CHECK_THAT(r.output,
             Catch::Contains("patch mode: target spacing 10.25,11.388888888888889,16 mm"));
  CHECK_THAT(r.output, Catch::Contains("patch mode: patch 16,16,16 (x,y,z)"));
  CHECK_THAT(r.output, Catch::Contains("Test Dice at the target spacing"));
  const auto rows = unet3d::testing::read_csv(out / "metrics.csv");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1][2].empty());  // no validation loss in patch mode
  CHECK_FALSE(rows[1][3].empty());
  const SafetensorsFile best = read_safetensors((out / "best.safetensors").string());
  CHECK(best.metadata.at("mode") == "patch");
  CHECK(best.metadata.at("spacing") == "10.25,11.388888888888889,16");
  CHECK(best.metadata.at("patch_size") == "16,16,16");
  CHECK(best.metadata.count("input_size") == 0);
  CHECK(fs::exists(out / "test" / "report.json"));
  CHECK(fs::exists(out / "test" / "worst_global.png"));
}

TEST_CASE("an interrupted and resumed patch-mode run ends as an uninterrupted one",
          "[e2e][patch]") {
  const fs::path straight = scratch_folder("patch_straight"),
                 broken = scratch_folder("patch_broken");
  const std::string flags = " --epochs 2 --augment nnunet --patch 16,12,8" + kPatchRun;
  REQUIRE(run(kTrainer + " --out " + straight.string() + flags).code == 0);
  const Result stopped =
      run(kTrainer + " --out " + broken.string() + flags + " --interrupt-after 5");
  INFO(stopped.output);
  REQUIRE(stopped.code == 130);
  const Result resumed = run(kTrainer + " --resume " + broken.string());
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  unet3d::testing::check_same_run(straight, broken);
}

TEST_CASE("predict segments with a patch-mode checkpoint, or a plain one given its flags",
          "[e2e][patch]") {
  const fs::path out = scratch_folder("patch_predict"), data = scratch_folder("patch_predict_data");
  REQUIRE(run(kTrainer + " --out " + out.string() + " --epochs 1" + kPatchRun).code == 0);
  REQUIRE(run(MAKE_PHANTOMS_PATH + std::string(" --out ") + data.string() +
              " --phantoms 1 --phantom-size 44,30,18")
              .code == 0);
  const std::string image = (data / "semantic_MRs" / "Case_001_Week0_LFOV.nii.gz").string();
  const std::string common =
      " --input " + image + " --device cpu --labels " + (data / "semantic_labels_only").string();
  Result r = run(kPredict + " --checkpoint " + (out / "best.safetensors").string() + common +
                 " --output " + (out / "segs").string() + " --tta mirror --overlap 0.25");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("Dice at native resolution (1 volumes)"));
  const NiftiGeometry seg =
      read_nifti_geometry((out / "segs" / "Case_001_Week0_LFOV_seg.nii.gz").string());
  CHECK((seg.nx == 44 && seg.ny == 30 && seg.nz == 18));

  // The same weights without metadata: read as the original's resize mode at 96 (said so) unless
  // the mode, spacing and patch are given.
  SafetensorsFile plain = read_safetensors((out / "best.safetensors").string());
  plain.metadata.clear();
  const std::string plain_path = (out / "plain.safetensors").string();
  write_safetensors(plain_path, plain);
  r = run(kPredict + " --checkpoint " + plain_path + common + " --output " +
          (out / "plain_segs").string());
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("has no metadata: read as a resize-mode network of input "
                                       "side 96") &&
                           Catch::Contains("--mode patch --spacing X,Y,Z --patch X,Y,Z"));
  r = run(kPredict + " --checkpoint " + plain_path + common + " --output " +
          (out / "plain_segs").string() +
          " --mode patch --spacing 10.25,11.388888888888889,16 --patch 16,16,16 --tta mirror "
          "--overlap 0.25");
  INFO(r.output);
  REQUIRE(r.code == 0);
  // The same segmentation as with the metadata.
  CHECK(read_nifti((out / "plain_segs" / "Case_001_Week0_LFOV_seg.nii.gz").string()).values ==
        read_nifti((out / "segs" / "Case_001_Week0_LFOV_seg.nii.gz").string()).values);
}

TEST_CASE("patch mode's flags are checked before any work", "[e2e][patch]") {
  const fs::path out = scratch_folder("patch_errors");
  const std::string trainer = kTrainer + " --out " + out.string() + kPatchRun;
  Result r = run(trainer + " --patch 16,10,8");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("multiple of 2^depth = 4"));
  r = run(trainer + " --spacing 1,-1,1");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--spacing: '1,-1,1'"));
  r = run(trainer + " --overlap 1");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--overlap"));
  r = run(kTrainer + " --device cpu --out " + out.string() + " --spacing 1,1,1");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("apply to --mode patch only"));
  r = run(kTrainer + " --device cpu --out " + out.string() + " --overlap 0.5");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("apply to --mode patch only"));
  r = run(trainer + " --mode slices");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--mode"));
}
