// The data checks a user of a segmentation framework expects: non-finite voxels, labels on
// another grid (spacing, origin, rotation), 2-D images, mixed orientations, cases listed but
// missing, labels beyond --classes on generated cases, and configurations too large to fit.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "io/dataset.h"
#include "io/nifti_geometry.h"
#include "io/preprocess.h"
#include "runtime/log.h"
#include "runtime/tensor.h"
#include "tests/support/error_of.h"
#include "tests/support/nifti_files.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"
#include "tools/run/memory_budget.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

NiftiGeometry grid(std::int64_t nx, std::int64_t ny, std::int64_t nz) {
  NiftiGeometry g;
  g.nx = nx, g.ny = ny, g.nz = nz;
  g.sform_code = 1;
  return g;
}

// What the log file received while `f` ran (`name`: a scratch folder of the calling test's own,
// as ctest runs the tests in parallel).
std::string logged(const std::string& name, const std::function<void()>& f) {
  const fs::path path = scratch_folder(name) / "log.txt";
  set_log_file(path.string());
  f();
  close_log_file();
  return read_text(path);
}

}  // namespace

TEST_CASE("NaN and infinite voxels in a file are a data error with their count", "[checks]") {
  const fs::path dir = scratch_folder("nonfinite");
  RawVolume v;
  v.nx = 4, v.ny = 3, v.nz = 2;
  v.values.assign(24, 1.0);
  v.values[3] = std::numeric_limits<double>::quiet_NaN();
  v.values[9] = std::numeric_limits<double>::infinity();
  const std::string path = (dir / "nan.nii.gz").string();
  write_raw_nifti(path, v);
  CHECK_THAT(error_of([&] { read_nifti(path); }, ErrorKind::data),
             Catch::Contains(path) && Catch::Contains("2 of its 24 voxels are NaN or infinite"));
}

TEST_CASE("grids differ by dimensions, voxel size, origin or rotation beyond the tolerances",
          "[checks]") {
  const NiftiGeometry a = grid(10, 10, 10);
  CHECK(grid_difference(a, a).empty());
  NiftiGeometry close = a;
  close.srow[0][3] += 0.5e-3, close.srow[1][0] += 0.5e-4;  // within 1e-3 mm and 1e-4
  CHECK(grid_difference(a, close).empty());

  NiftiGeometry spaced = a;
  spaced.dx = 2, spaced.srow[0][0] = 2;
  CHECK_THAT(grid_difference(a, spaced), Catch::Contains("voxel size 1x1x1 vs 2x1x1 mm"));
  NiftiGeometry scaled = a;  // pixdim agrees, the affine does not
  scaled.srow[1][1] = 2;
  CHECK_THAT(grid_difference(a, scaled), Catch::Contains("voxel size in the affine"));
  NiftiGeometry moved = a;
  moved.srow[2][3] = 50;
  CHECK_THAT(grid_difference(a, moved), Catch::Contains("50 mm apart"));
  NiftiGeometry flipped = a;
  flipped.srow[0][0] = -1;
  CHECK_THAT(grid_difference(a, flipped), Catch::Contains("orientation RAS vs LAS"));
  CHECK_THAT(grid_difference(a, grid(10, 10, 11)), Catch::Contains("dimensions 10x10x10 vs"));

  // Without an sform the qform decides; without either, the voxel sizes alone.
  NiftiGeometry q = grid(10, 10, 10);
  q.sform_code = 0, q.qform_code = 1, q.qfac = -1, q.qoffset_x = 5;
  CHECK(affine_of(q).m[0][3] == 5);
  CHECK(affine_of(q).m[2][2] == -1);
  CHECK(orientation_of(q) == "RAI");
  NiftiGeometry analyze = grid(10, 10, 10);
  analyze.sform_code = 0, analyze.dx = 3;
  CHECK(affine_of(analyze).m[0][0] == 3);
}

TEST_CASE("a label on another grid than its image is a data error naming both", "[checks]") {
  const fs::path dir = scratch_folder("grids");
  NiftiGeometry g = grid(6, 5, 4);
  std::vector<std::uint8_t> image(120, 7), label(120, 1);
  const std::string image_path = (dir / "x.nii.gz").string();
  const std::string label_path = (dir / "x_label.nii.gz").string();
  write_nifti(image_path, g, image.data(), NiftiStorage::u8);
  NiftiGeometry other = g;
  other.dx = other.dy = other.dz = 2;  // 2x the spacing
  for (int r = 0; r < 3; ++r) other.srow[r][r] = 2;
  write_nifti(label_path, other, label.data(), NiftiStorage::u8);
  const CasePaths paths{"x", "x", {image_path}, label_path};
  CHECK_THAT(error_of([&] { load_case(paths, 3); }, ErrorKind::data),
             Catch::Contains(image_path) && Catch::Contains(label_path) &&
                 Catch::Contains("voxel size 1x1x1 vs 2x2x2 mm"));
  other = g;
  other.srow[0][3] = 50;  // moved 50 mm
  write_nifti(label_path, other, label.data(), NiftiStorage::u8);
  CHECK_THAT(error_of([&] { load_case(paths, 3); }, ErrorKind::data),
             Catch::Contains("origin") && Catch::Contains("50 mm apart"));
  write_nifti(label_path, g, label.data(), NiftiStorage::u8);
  CHECK(load_case(paths, 3).labels.size() == 120);
}

TEST_CASE("a 2-D image is refused for a 3-D network", "[checks]") {
  const fs::path dir = scratch_folder("flat");
  const NiftiGeometry g = grid(6, 5, 1);
  std::vector<std::uint8_t> values(30, 1);
  const std::string image = (dir / "flat.nii.gz").string(),
                    label = (dir / "flat_l.nii.gz").string();
  write_nifti(image, g, values.data(), NiftiStorage::u8);
  write_nifti(label, g, values.data(), NiftiStorage::u8);
  CHECK_THAT(error_of(
                 [&] {
                   load_case({"f", "f", {image}, label}, 3);
                 },
                 ErrorKind::data),
             Catch::Contains(image) && Catch::Contains("a 2-D image (6x5x1 voxels)"));
  CHECK(read_nifti_geometry(image).nz == 1);
}

TEST_CASE("cases oriented unlike the dataset's majority are named in a warning", "[checks]") {
  std::vector<CaseInfo> cases;
  for (int i = 0; i < 3; ++i) cases.push_back({concat("c", i), "p", {}, "", grid(8, 8, 8)});
  cases[2].geometry.srow[1][1] = -1;  // RPS
  const auto load = [&](std::size_t i) {
    LoadedCase c;
    c.image.geometry = cases[i].geometry;
    c.image.values.assign(512, static_cast<float>(i));
    c.labels.assign(512, 1);
    return c;
  };
  const std::string log =
      logged("orientations", [&] { preprocess_cases(cases, load, 8, 2, {}, Device::cpu); });
  CHECK_THAT(
      log, Catch::Contains("1 case(s) are oriented RPS where 2 are RAS") && Catch::Contains("c2"));
  CHECK_THAT(logged("one_orientation",
                    [&] {
                      std::vector<CaseInfo> same(cases.begin(), cases.begin() + 2);
                      preprocess_cases(same, load, 8, 2, {}, Device::cpu);
                    }),
             !Catch::Contains("oriented"));
  // Generated cases are held to --classes as files are: label 1 with 1 class is refused.
  CHECK_THAT(
      error_of([&] { preprocess_cases(cases, load, 8, 1, {}, Device::cpu); }, ErrorKind::data),
      Catch::Contains("c0: label 1 is outside the classes [0, 1)"));
}

TEST_CASE("a dataset.json listing a case whose files are missing warns, naming it", "[checks]") {
  const fs::path dir = scratch_folder("listed");
  fs::create_directories(dir / "imagesTr");
  fs::create_directories(dir / "labelsTr");
  std::vector<std::uint8_t> values(120, 1);
  const NiftiGeometry g = grid(6, 5, 4);
  write_nifti((dir / "imagesTr" / "a_0000.nii.gz").string(), g, values.data(), NiftiStorage::u8);
  write_nifti((dir / "labelsTr" / "a.nii.gz").string(), g, values.data(), NiftiStorage::u8);
  std::ofstream(dir / "dataset.json")
      << R"({"labels": {"0": "background", "1": "x"}, "training": [)"
      << R"({"image": "./imagesTr/a.nii.gz", "label": "./labelsTr/a.nii.gz"},)"
      << R"({"image": "./imagesTr/gone.nii.gz", "label": "./labelsTr/gone.nii.gz"}]})";
  const std::string log = logged("listed_log", [&] {
    CHECK(discover_dataset(dir.string(), DatasetLayout::decathlon).cases.size() == 1);
  });
  CHECK_THAT(log, Catch::Contains("lists ./imagesTr/gone.nii.gz") &&
                      Catch::Contains("the image is missing"));
  CHECK_THAT(log, !Catch::Contains("imagesTr/a.nii.gz with"));  // stored as a_0000: present
}

TEST_CASE("a configuration that cannot fit is refused with its figure", "[checks][memory]") {
  RunConfig c = parse_run_config({});  // every flag's default
  c.size = 96, c.batch = 2, c.features = 32, c.precision = Precision::f32;
  const MemoryNeed need = training_memory_need(c, 40.0 * 96 * 96 * 96, 128.0 * 128 * 64, 1);
  CHECK(need.dataset == Approx(40.0 * 96 * 96 * 96 * 5));
  CHECK(need.network == Approx(21.0 * 2 * 96 * 96 * 96 * 32 * 4));
  CHECK(need.raw_case == Approx(128.0 * 128 * 64 * 9));
  CHECK(memory_shortfall(need, false, 64e9, 0, "--size 96").empty());
  CHECK_THAT(memory_shortfall(need, false, 1e9, 0, "--size 96"),
             Catch::StartsWith("--size 96: this configuration needs at least ") &&
                 Catch::Contains("of host memory") && Catch::Contains("1 GB are available"));
  // On a GPU the network and a copy of the dataset must fit the card.
  CHECK_THAT(memory_shortfall(need, true, 64e9, 2e9, "--size 96"),
             Catch::Contains("of GPU memory") && Catch::Contains("2 GB are free"));
  // Unknown availability (0) refuses nothing.
  CHECK(memory_shortfall(need, true, 0, 0, "--size 96").empty());
  // Patch mode holds the resampled volumes on the host only, and the network runs on --patch.
  c.patch_mode = true, c.patch = Grid{128, 128, 128};
  const MemoryNeed patch = training_memory_need(c, 40.0 * 256 * 256 * 128, 256.0 * 256 * 128, 1);
  CHECK(patch.dataset == Approx(40.0 * 256 * 256 * 128 * 5));
  // Two input channels: two f32 images beside the one u8 label map.
  const MemoryNeed two = training_memory_need(c, 40.0 * 256 * 256 * 128, 256.0 * 256 * 128, 2);
  CHECK(two.dataset == Approx(40.0 * 256 * 256 * 128 * 9));
  CHECK(two.raw_case == Approx(256.0 * 256 * 128 * 13));
  CHECK(patch.network == Approx(21.0 * 2 * 128 * 128 * 128 * 32 * 4));
  CHECK_FALSE(patch.dataset_on_device);
  CHECK_THAT(memory_shortfall(patch, true, 64e9, 3e9, "--patch 128"),
             Catch::Contains("of GPU memory (network") && !Catch::Contains("dataset"));
}

// Not in sanitizer builds: AddressSanitizer aborts on an impossible allocation rather than
// returning null, so there the test would only measure the sanitizer.
#if !defined(__SANITIZE_ADDRESS__)
TEST_CASE("an allocation that fails names the tensor", "[checks][memory]") {
  // 2^46 floats: 256 TiB, beyond the address space of a process.
  CHECK_THAT(error_of(
                 [] {
                   Tensor t({1, 1, 1, 1, std::int64_t{1} << 46}, DType::f32);
                 },
                 ErrorKind::runtime),
             Catch::Contains("allocating a tensor [n=1 d=1 h=1 w=1 c=70368744177664] of f32"));
}
#endif
