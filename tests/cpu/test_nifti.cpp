// NIfTI reading and writing: every datatype against files nifticlib wrote, geometry kept on
// writing, and each kind of bad file.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "io/nifti.h"
#include "runtime/error.h"
#include "tests/support/error_of.h"
#include "tests/support/nifti_files.h"
#include "tests/support/test_data.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

RawVolume ramp(int datatype, double first) {
  RawVolume v;
  v.nx = 4, v.ny = 3, v.nz = 2, v.datatype = datatype;
  for (int i = 0; i < 24; ++i) v.values.push_back(first + i);
  return v;
}

std::string data_error(const std::string& path) {
  return testing::error_of([&] { read_nifti(path); }, ErrorKind::data);
}

void patch(const fs::path& path, std::size_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("every integer and float datatype reads back", "[nifti]") {
  const fs::path dir = scratch_folder("types");
  const std::pair<int, double> types[] = {{2, 0},      {256, -12},  {512, 0},  {4, -12},
                                          {768, 0},    {8, -12},    {1280, 0}, {1024, -12},
                                          {16, -12.5}, {64, -12.25}};
  for (const auto& [datatype, first] : types) {
    INFO("datatype " << datatype);
    for (const char* ext : {".nii", ".nii.gz"}) {
      const fs::path path = dir / ("v" + std::to_string(datatype) + ext);
      write_raw_nifti(path.string(), ramp(datatype, first));
      const NiftiVolume v = read_nifti(path.string());
      CHECK(v.geometry.nx == 4);
      CHECK(v.geometry.ny == 3);
      CHECK(v.geometry.nz == 2);
      CHECK(v.geometry.dz == 2.5);
      REQUIRE(v.values.size() == 24);
      for (int i = 0; i < 24; ++i) REQUIRE(v.values[i] == static_cast<float>(first + i));
      CHECK(v.integer_type == (datatype != 16 && datatype != 64));
    }
  }
}

TEST_CASE("scl_slope and scl_inter are applied unless the slope is 0", "[nifti]") {
  const fs::path dir = scratch_folder("scaling");
  RawVolume v = ramp(4, 0);
  v.slope = 0.5, v.inter = 10;
  write_raw_nifti((dir / "scaled.nii").string(), v);
  CHECK(read_nifti((dir / "scaled.nii").string()).values[3] == 11.5f);
  v.slope = 0, v.inter = 10;
  write_raw_nifti((dir / "unscaled.nii").string(), v);
  CHECK(read_nifti((dir / "unscaled.nii").string()).values[3] == 3.0f);
}

TEST_CASE("a 4-D series is read as its first volume", "[nifti]") {
  const fs::path dir = scratch_folder("series");
  RawVolume v = ramp(16, 0);
  v.nt = 2;
  for (int i = 0; i < 24; ++i) v.values.push_back(100 + i);
  write_raw_nifti((dir / "series.nii.gz").string(), v);
  const NiftiVolume read = read_nifti((dir / "series.nii.gz").string());
  REQUIRE(read.values.size() == 24);
  CHECK(read.values[23] == 23.0f);
}

TEST_CASE("written volumes keep grid, voxel sizes, qform and sform", "[nifti]") {
  const fs::path dir = scratch_folder("write");
  NiftiGeometry g;
  g.nx = 3, g.ny = 2, g.nz = 2, g.dx = 1.6, g.dy = 1.6, g.dz = 2.5, g.xyz_units = 2;
  g.qform_code = 1, g.sform_code = 2, g.quatern_b = 0, g.quatern_c = 1, g.quatern_d = 0,
  g.qfac = -1;
  g.qoffset_x = 10, g.qoffset_y = -20, g.qoffset_z = 30;
  g.srow[0][0] = -1.6, g.srow[0][3] = 12, g.srow[1][1] = 1.6, g.srow[2][2] = 2.5, g.srow[2][3] = -7;
  std::vector<std::uint8_t> labels(12);
  for (int i = 0; i < 12; ++i) labels[i] = static_cast<std::uint8_t>(i % 6);
  write_nifti((dir / "labels.nii.gz").string(), g, labels.data(), NiftiStorage::u8);
  const NiftiVolume v = read_nifti((dir / "labels.nii.gz").string());
  CHECK(v.datatype == 2);
  CHECK(v.values[11] == 5.0f);
  const NiftiGeometry& r = v.geometry;
  CHECK((r.nx == 3 && r.ny == 2 && r.nz == 2));
  CHECK(r.dx == Approx(1.6));
  CHECK(r.dz == Approx(2.5));
  CHECK((r.qform_code == 1 && r.sform_code == 2 && r.xyz_units == 2));
  CHECK(r.quatern_c == Approx(1));
  CHECK(r.qfac == -1);
  CHECK(r.qoffset_y == Approx(-20));
  CHECK(r.srow[0][0] == Approx(-1.6));
  CHECK(r.srow[2][3] == Approx(-7));

  std::vector<float> probabilities(24, 0.25f);
  write_nifti((dir / "prob.nii.gz").string(), g, probabilities.data(), NiftiStorage::f32, 2);
  CHECK(read_nifti((dir / "prob.nii.gz").string()).values.size() == 12);  // first channel
  CHECK_THROWS_WITH(
      write_nifti((dir / "missing" / "x.nii.gz").string(), g, labels.data(), NiftiStorage::u8),
      Catch::Contains("missing/x.nii.gz"));
}

TEST_CASE("bad files each say what is wrong with them", "[nifti]") {
  const fs::path dir = scratch_folder("bad");
  CHECK_THAT(data_error((dir / "absent.nii.gz").string()),
             Catch::Contains("absent.nii.gz: no such file"));

  write_raw_nifti((dir / "magic.nii").string(), ramp(16, 0));
  patch(dir / "magic.nii", 344, "n+9");
  CHECK_THAT(data_error((dir / "magic.nii").string()),
             Catch::Contains("magic.nii: not a single-file NIfTI-1"));

  write_raw_nifti((dir / "size.nii").string(), ramp(16, 0));
  patch(dir / "size.nii", 0, "abcd");
  CHECK_THAT(data_error((dir / "size.nii").string()),
             Catch::Contains("not NIfTI: header size field"));

  write_raw_nifti((dir / "zero.nii").string(), ramp(16, 0));
  patch(dir / "zero.nii", 42, std::string(2, '\0'));  // dim[1] = 0
  CHECK_THAT(data_error((dir / "zero.nii").string()), Catch::Contains("zero-sized dimension"));

  RawVolume complex = ramp(32, 0);  // NIFTI_TYPE_COMPLEX64
  write_raw_nifti((dir / "complex.nii").string(), complex);
  CHECK_THAT(data_error((dir / "complex.nii").string()), Catch::Contains("unsupported datatype"));

  RawVolume big = ramp(16, 0);
  big.nx = 64, big.ny = 64, big.nz = 16;
  big.values.assign(64 * 64 * 16, 0.0);
  for (std::size_t i = 0; i < big.values.size(); ++i) big.values[i] = static_cast<double>(i % 977);
  write_raw_nifti((dir / "cut.nii.gz").string(), big);
  fs::resize_file(dir / "cut.nii.gz", fs::file_size(dir / "cut.nii.gz") / 2);
  CHECK_THAT(data_error((dir / "cut.nii.gz").string()),
             Catch::Contains("cut.nii.gz") && Catch::Contains("truncated"));
  std::ofstream(dir / "tiny.nii") << "hello";
  CHECK_THAT(data_error((dir / "tiny.nii").string()), Catch::Contains("truncated"));
}
