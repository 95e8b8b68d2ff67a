// Nothing lost, nothing silently wrong, end to end: the run folder's lock, stops at every phase
// (mid-accumulation, preprocessing, the test phase, a second Ctrl-C) and their resumes, fatal
// errors in train.log, configurations too large to fit, labels beyond --classes, predict's checks
// before it writes and its cleaning of what a killed predict left, writes cut by a file-size
// limit, and bench's flags.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "io/json.h"
#include "io/nifti.h"
#include "runtime/error.h"
#include "runtime/folder_lock.h"
#include "tests/support/programs.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

const std::string kSmall = " --device cpu" + unet3d::testing::kTinyRun;
// The tiny run with three micro-batches per optimizer step, so that a stop can fall inside one.
const std::string kAccumulating =
    " --device cpu --size 16 --features 4 --depth 2 --batch 2 --accum 3 --phantoms 16 "
    "--phantom-size 32,32,16 --lr 1e-2";

// A trained checkpoint and a small dataset for predict, made once.
struct PredictFixture {
  fs::path folder = scratch_folder("reliability_run"), data = scratch_folder("reliability_data");
  std::string checkpoint = (folder / "best.safetensors").string();
  std::vector<std::string> names;  // the three cases, sorted
  std::string image(int k) const {
    return (data / "semantic_MRs" / (names[static_cast<std::size_t>(k - 1)] + "_LFOV.nii.gz"))
        .string();
  }
  std::string label(int k) const {
    return (data / "semantic_labels_only" /
            (names[static_cast<std::size_t>(k - 1)] + "_SEMANTIC_LFOV.nii.gz"))
        .string();
  }
  PredictFixture() {
    REQUIRE(run(kTrainer + " --out " + folder.string() + " --epochs 1" + kSmall).code == 0);
    REQUIRE(
        run(kPhantoms + " --out " + data.string() + " --phantoms 3 --phantom-size 40,36,20").code ==
        0);
    for (const auto& e : fs::directory_iterator(data / "semantic_MRs")) {
      const std::string file = e.path().filename().string();
      names.push_back(file.substr(0, file.find("_LFOV")));
    }
    std::sort(names.begin(), names.end());
    REQUIRE(names.size() == 3);
  }
};

}  // namespace

TEST_CASE("a run folder admits one trainer at a time", "[e2e][reliability]") {
  const fs::path out = scratch_folder("locked");
  const FolderLock held(out.string(), "trainer.lock");  // as a trainer running on it would
  const std::string pid = "process " + std::to_string(getpid());
  Result r = run(kTrainer + " --out " + out.string() + " --epochs 1" + kSmall);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains(out.string()) && Catch::Contains(pid));
  r = run(kTrainer + " --resume " + out.string());
  CHECK(r.code == 2);
}

TEST_CASE("a stop inside an accumulation drops it, the resumed run ends bit for bit",
          "[e2e][reliability]") {
  const fs::path straight = scratch_folder("accum_straight"),
                 broken = scratch_folder("accum_broken");
  REQUIRE(run(kTrainer + " --out " + straight.string() + " --epochs 2" + kAccumulating).code == 0);
  // 7 micro-batches: epoch 1's five (steps after the 3rd and the 5th), then two of epoch 2's
  // first step, which is dropped: the run saves micro-batch 0 of epoch 2.
  const Result stopped = run(kTrainer + " --out " + broken.string() +
                             " --epochs 2 --interrupt-after 7" + kAccumulating);
  INFO(stopped.output);
  REQUIRE(stopped.code == 130);
  CHECK_THAT(stopped.output,
             Catch::Contains("interrupted (SIGINT) in epoch 2 after micro-batch 0"));
  // As a disk-full stop leaves it: a row for an epoch the checkpoint does not hold.
  std::ofstream(broken / "metrics.csv", std::ios::app) << "2,9,9,9,9,9,9,9,9,9,9,9,9,9\n";
  const Result resumed = run(kTrainer + " --resume " + broken.string());
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);
  unet3d::testing::check_same_run(straight, broken);
}

TEST_CASE("a fatal error reaches train.log as well as the terminal", "[e2e][reliability]") {
  const fs::path out = scratch_folder("fatal");
  const std::string split = (out / "absent_split.json").string();
  const Result r = run(kTrainer + " --out " + out.string() + " --split " + split + kSmall);
  CHECK(r.code == 3);
  CHECK_THAT(read_text(out / "train.log"),
             Catch::Contains("fatal: trainer: ") && Catch::Contains(split));
}

TEST_CASE("a stop while preprocessing keeps config.json and resumes from the start",
          "[e2e][reliability]") {
  const fs::path out = scratch_folder("stop_preprocessing");
  const Result r = run(kTrainer + " --out " + out.string() + " --epochs 1 --interrupt-during " +
                       "preprocessing" + kSmall);
  INFO(r.output);
  CHECK(r.code == 130);
  CHECK_THAT(r.output, Catch::Contains("interrupted (SIGINT) during preprocessing") &&
                           Catch::Contains("Resume with: trainer --resume"));
  CHECK(fs::exists(out / "config.json"));
  CHECK_FALSE(fs::exists(out / "last.safetensors"));
  const Result resumed = run(kTrainer + " --resume " + out.string());
  INFO(resumed.output);
  CHECK(resumed.code == 0);
  CHECK_THAT(resumed.output, Catch::Contains("no checkpoint in"));
  CHECK(read_csv(out / "metrics.csv").size() == 2);
}

TEST_CASE("a stop in the test phase says so, the resumed run writes the report",
          "[e2e][reliability]") {
  const fs::path out = scratch_folder("stop_test");
  const Result r =
      run(kTrainer + " --out " + out.string() + " --epochs 1 --interrupt-during test" + kSmall);
  INFO(r.output);
  CHECK(r.code == 130);
  CHECK_THAT(r.output, Catch::Contains("during the test phase"));
  CHECK(fs::exists(out / "last.safetensors"));
  CHECK_FALSE(fs::exists(out / "test" / "report.json"));
  CHECK(run(kTrainer + " --resume " + out.string()).code == 0);
  CHECK(fs::exists(out / "test" / "report.json"));
}

TEST_CASE("a real Ctrl-C while preprocessing stops the run with a message", "[e2e][reliability]") {
  const fs::path out = scratch_folder("ctrl_c");
  // Large phantoms, so that preprocessing is still running when the signal comes (a second
  // signal's immediate exit is tested in tests/cpu/test_interrupt.cpp, without timing).
  const std::string command =
      kTrainer + " --out " + out.string() +
      " --device cpu --size 16 --depth 2 --features 4 --phantoms 40 --phantom-size 192,192,96";
  const Result r =
      run("(" + command + " & p=$!; until grep -qs 'command line' " + (out / "train.log").string() +
          "; do sleep 0.02; done; kill -INT $p; wait $p)");
  INFO(r.output);
  CHECK(r.code == 130);
  CHECK_THAT(r.output, Catch::Contains("interrupted (SIGINT) during preprocessing"));
  CHECK(fs::exists(out / "config.json"));
}

TEST_CASE("configurations that cannot fit in memory are refused before allocating",
          "[e2e][reliability]") {
  const fs::path out = scratch_folder("too_large");
  for (const std::string flags : {" --size 100000 --phantoms 16 --phantom-size 32,32,16",
                                  " --size 16 --phantoms 16 --phantom-size 60000,60000,60000",
                                  " --size 16 --phantoms 100000000 --phantom-size 32,32,16"}) {
    const Result r = run(kTrainer + " --device cpu --depth 2 --out " + out.string() + flags);
    INFO(flags << "\n" << r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output,
               Catch::Contains("this configuration needs at least") && Catch::Contains("--size"));
    fs::remove_all(out);
  }
}

TEST_CASE("labels beyond --classes are a data error for phantoms too", "[e2e][reliability]") {
  const fs::path out = scratch_folder("classes");
  const Result r = run(kTrainer + " --out " + out.string() + " --classes 3" + kSmall);
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("is outside the classes [0, 3)"));
}

TEST_CASE("predict checks every input and label before it writes anything", "[e2e][reliability]") {
  const PredictFixture f;
  const fs::path segs = scratch_folder("reliability_segs");
  const std::string base =
      kPredict + " --device cpu --checkpoint " + f.checkpoint + " --output " + segs.string();
  // Two inputs with one output name.
  const fs::path other = scratch_folder("reliability_other");
  fs::copy_file(f.image(1), other / fs::path(f.image(1)).filename());
  Result r = run(base + " --input " + f.image(1) + " " +
                 (other / fs::path(f.image(1)).filename()).string());
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("would both write " + f.names[0] + "_LFOV_seg.nii.gz"));
  // A bad third label stops the run before the first output: on another grid, or with a class
  // the checkpoint lacks (its six are 0-5). Each is label 3 edited by `edit`.
  const fs::path odd = scratch_folder("reliability_odd");
  const auto third_label_refused = [&](const std::string& name, auto edit, const char* why) {
    NiftiVolume label = read_nifti(f.label(3));
    std::vector<std::uint8_t> values(label.values.begin(), label.values.end());
    edit(label.geometry, values);
    write_nifti((odd / name).string(), label.geometry, values.data(), NiftiStorage::u8);
    const Result refused =
        run(base + " --input " + f.image(1) + " " + f.image(2) + " " + f.image(3) + " --labels " +
            f.label(1) + " " + f.label(2) + " " + (odd / name).string());
    INFO(refused.output);
    CHECK(refused.code == 3);
    CHECK_THAT(refused.output, Catch::Contains(name) && Catch::Contains(why));
    CHECK(fs::is_empty(segs));
  };
  third_label_refused(
      "moved.nii.gz",
      [](NiftiGeometry& g, std::vector<std::uint8_t>&) {
        g.srow[0][3] += 50;
        g.qoffset_x += 50;
      },
      "not on the same grid");
  third_label_refused(
      "seven.nii.gz", [](NiftiGeometry&, std::vector<std::uint8_t>& v) { v[v.size() / 2] = 7; },
      "7 (1 voxels)");
  // A 2-D input, a negative --size and a folder given as the checkpoint.
  NiftiGeometry flat = read_nifti_geometry(f.label(3));
  flat.nz = 1;
  std::vector<std::uint8_t> slice(static_cast<std::size_t>(flat.voxels()), 1);
  write_nifti((odd / "flat.nii.gz").string(), flat, slice.data(), NiftiStorage::u8);
  r = run(base + " --input " + (odd / "flat.nii.gz").string());
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("a 2-D image"));
  r = run(base + " --input " + f.image(1) + " --size -3");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--size -3"));
  r = run(kPredict + " --device cpu --checkpoint " + f.folder.string() + " --input " + f.image(1) +
          " --output " + segs.string());
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("is a folder"));
  CHECK(fs::is_empty(segs));
}

TEST_CASE("a write cut by the file-size limit fails naming the file and leaves nothing partial",
          "[e2e][reliability]") {
  const PredictFixture f;
  const fs::path segs = scratch_folder("limited_segs");
  // 64 KiB: the label maps fit, the probabilities (six float channels) do not.
  Result r = run("ulimit -f 64; " + kPredict + " --device cpu --checkpoint " + f.checkpoint +
                 " --input " + f.image(1) + " --output " + segs.string() + " --probabilities");
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK_THAT(r.output, Catch::Contains(f.names[0] + "_LFOV_prob.nii.gz"));
  CHECK_FALSE(fs::exists(segs / (f.names[0] + "_LFOV_prob.nii.gz")));
  CHECK(unet3d::testing::files_named(segs, ".") == 0);

  const fs::path phantoms = scratch_folder("limited_phantoms");
  r = run("ulimit -f 256; " + kPhantoms + " --out " + phantoms.string() +
          " --phantoms 2 --phantom-size 128,128,64");
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK_THAT(r.output, Catch::Contains("_LFOV.nii.gz"));
  int images = 0, labels = 0;
  for (const auto& e : fs::directory_iterator(phantoms / "semantic_MRs"))
    images += !e.path().filename().string().starts_with(".");
  for (const auto& e : fs::directory_iterator(phantoms / "semantic_labels_only"))
    labels += !e.path().filename().string().starts_with(".");
  CHECK(images == labels);  // pairs or nothing
  CHECK(unet3d::testing::files_named(phantoms, ".") == 0);
}

TEST_CASE("predict removes the half-written files a killed predict left, and only those",
          "[e2e][reliability]") {
  const PredictFixture f;
  const fs::path segs = scratch_folder("partial_segs");
  const std::vector<std::string> left{".partial-Ab12Cd." + f.names[0] + "_LFOV_seg.nii.gz",
                                      ".partial-Ef34Gh.cases.csv"},
      kept{".partial-Ij56Kl.notes.txt", ".hidden_seg.nii.gz"};
  for (const std::string& name : left) std::ofstream(segs / name) << "half";
  for (const std::string& name : kept) std::ofstream(segs / name) << "mine";
  const Result r = run(kPredict + " --device cpu --checkpoint " + f.checkpoint + " --input " +
                       f.image(1) + " --output " + segs.string());
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("removed 2 half-written file(s)"));
  for (const std::string& name : left) CHECK_FALSE(fs::exists(segs / name));
  for (const std::string& name : kept) CHECK(fs::exists(segs / name));
  CHECK(fs::exists(segs / (f.names[0] + "_LFOV_seg.nii.gz")));
}

TEST_CASE("bench refuses bad flags by name and writes valid JSON", "[e2e][reliability]") {
  const fs::path dir = scratch_folder("bench_flags");
  const std::string bench = kBench + " --device cpu --size 16 --features 4 --depth 2";
  Result r = run(bench + " --seconds -1");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--seconds -1"));
  r = run(bench + " --filter '['");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--filter '['"));
  r = run(bench + " --filter zzzz --seconds 0.01");  // matches no case
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--filter 'zzzz' matches no case") &&
                           !Catch::Contains("nan volumes/s"));
  r = run(bench + " --filter relu --seconds 0.01 --json /nonexistent-folder/b.json");
  CHECK(r.code == 1);
  CHECK_THAT(r.output, Catch::Contains("/nonexistent-folder/b.json"));
  r = run(bench + " --filter 'relu forward' --seconds 0.01 --json " + (dir / "b.json").string());
  INFO(r.output);
  REQUIRE(r.code == 0);
  const json::Value v = json::parse(read_text(dir / "b.json"), "b.json");
  REQUIRE(v.find("training_step_ms") != nullptr);
  CHECK(v.find("training_step_ms")->is(json::Value::Kind::null));
}
