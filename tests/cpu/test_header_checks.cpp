// What a NIfTI file's header or container can get wrong beyond its size field and magic, each a
// data error naming the file and what is actually wrong: voxel sizes that are 0, NaN or negative
// (nifticlib would read 1 mm), NaN or infinite qform and sform numbers, files that are dangling
// links or FIFOs, a corrupt gzip stream, float64 voxels beyond float32's range; and bytes after a
// gzip stream, a warning. The headers are edited byte by byte (NIfTI-1 offsets; a NIfTI-2 file
// is written here field by field), no library's writer in between.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "io/nifti.h"
#include "runtime/log.h"
#include "tests/support/error_of.h"
#include "tests/support/nifti_files.h"
#include "tests/support/test_data.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

// A 4 x 3 x 2 float32 volume as an uncompressed NIfTI-1 file, so that header bytes can be edited.
std::string small_file(const fs::path& dir, const std::string& name) {
  RawVolume v;
  v.nx = 4, v.ny = 3, v.nz = 2;
  v.values.assign(24, 1.0);
  const std::string path = (dir / name).string();
  write_raw_nifti(path, v);
  return path;
}

// The same volume as a NIfTI-2 file written here field by field (540-byte header, 4 bytes of
// extension flags, then the data; voxel size 1.5 x 1.5 x 2.5 mm, qform and sform unset).
std::string small_nifti2_file(const fs::path& dir, const std::string& name) {
  std::vector<unsigned char> bytes(544 + 24 * 4, 0);
  const auto put = [&](std::size_t offset, auto value) {
    std::memcpy(bytes.data() + offset, &value, sizeof value);
  };
  put(0, std::int32_t{540});
  std::memcpy(bytes.data() + 4, "n+2\0\r\n\032\n", 8);
  put(12, std::int16_t{16}), put(14, std::int16_t{32});  // float32
  const std::int64_t dims[8] = {3, 4, 3, 2, 1, 1, 1, 1};
  const double pixdim[8] = {1, 1.5, 1.5, 2.5, 1, 1, 1, 1};
  for (int k = 0; k < 8; ++k) put(16 + 8 * k, dims[k]), put(104 + 8 * k, pixdim[k]);
  put(168, std::int64_t{544});  // vox_offset
  put(500, std::int32_t{2});    // xyzt_units: mm
  for (int i = 0; i < 24; ++i) put(544 + 4 * static_cast<std::size_t>(i), 1.0f);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return path;
}

// Overwrites bytes of `path` at `offset` with the (native, little-endian) bytes of `value`.
template <class T>
void poke(const std::string& path, std::streamoff offset, T value) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(offset);
  f.write(reinterpret_cast<const char*>(&value), sizeof value);
}

std::string data_error_of(const std::string& path) {
  return error_of([&] { read_nifti(path); }, ErrorKind::data);
}

}  // namespace

TEST_CASE("a voxel size that is not a finite positive number is a data error naming the axis",
          "[checks][header]") {
  const fs::path dir = scratch_folder("header_pixdim");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const auto& [value, text] :
       {std::pair{0.0f, "is 0"}, std::pair{nan, "is nan"}, std::pair{-1.5f, "is -1.5"}}) {
    const std::string path = small_file(dir, "pixdim.nii");
    poke(path, 76 + 4 * 2, value);  // pixdim[2]: y
    INFO(text);
    CHECK_THAT(data_error_of(path), Catch::Contains(path) &&
                                        Catch::Contains("voxel size along y (pixdim[2])") &&
                                        Catch::Contains(text));
    CHECK_THAT(error_of([&] { read_nifti_geometry(path); }, ErrorKind::data),
               Catch::Contains("pixdim[2]"));
  }
}

TEST_CASE("NIfTI-2 headers are checked at their own offsets", "[checks][header]") {
  const fs::path dir = scratch_folder("header_nifti2");
  std::string path = small_nifti2_file(dir, "pixdim2.nii");
  REQUIRE(read_nifti(path).values.size() == 24);
  poke(path, 104 + 8 * 3, 0.0);  // pixdim[3], a double: z
  CHECK_THAT(data_error_of(path), Catch::Contains("voxel size along z (pixdim[3]) is 0"));
  path = small_nifti2_file(dir, "sform2.nii");
  poke<std::int32_t>(path, 348, 1);                                  // sform_code
  poke(path, 400 + 8 * 3, std::numeric_limits<double>::infinity());  // srow_x[3]
  CHECK_THAT(data_error_of(path), Catch::Contains("its sform"));
}

TEST_CASE("NaN or infinite numbers in the sform or qform are a data error", "[checks][header]") {
  const fs::path dir = scratch_folder("header_affine");
  std::string path = small_file(dir, "sform.nii");
  poke<std::int16_t>(path, 254, 1);  // sform_code: the srow rows are read
  poke(path, 280 + 4 * 3, std::numeric_limits<float>::quiet_NaN());  // srow_x[3]
  CHECK_THAT(data_error_of(path), Catch::Contains(path) && Catch::Contains("its sform"));
  path = small_file(dir, "qform.nii");
  poke<std::int16_t>(path, 252, 1);                         // qform_code
  poke(path, 268, std::numeric_limits<float>::infinity());  // qoffset_x
  CHECK_THAT(data_error_of(path), Catch::Contains(path) && Catch::Contains("its qform"));
  poke<std::int16_t>(path, 252, -1);  // a code below 0 is unused, as 0 is: nothing to check
  CHECK(read_nifti(path).values.size() == 24);
}

TEST_CASE("a dangling link or a FIFO is named for what it is", "[checks][header]") {
  const fs::path dir = scratch_folder("header_files");
  fs::create_symlink(dir / "gone.nii.gz", dir / "link.nii.gz");
  CHECK_THAT(data_error_of((dir / "link.nii.gz").string()),
             Catch::Contains("a symbolic link to") && Catch::Contains("which does not exist"));
  REQUIRE(mkfifo((dir / "pipe.nii.gz").c_str(), 0600) == 0);
  CHECK_THAT(data_error_of((dir / "pipe.nii.gz").string()), Catch::Contains("is a FIFO"));
  CHECK_THAT(data_error_of((dir / "none.nii.gz").string()), Catch::Contains("no such file"));
}

TEST_CASE("a corrupt gzip stream is said so, bytes after it are a warning", "[checks][header]") {
  const fs::path dir = scratch_folder("header_gzip");
  RawVolume v;
  v.nx = 4, v.ny = 3, v.nz = 2;
  v.values.assign(24, 2.0);
  const std::string path = (dir / "crc.nii.gz").string();
  write_raw_nifti(path, v);
  const auto size = static_cast<std::streamoff>(fs::file_size(path));
  {
    std::ifstream in(path, std::ios::binary);
    std::string bytes(std::istreambuf_iterator<char>(in), {});
    in.close();
    std::ofstream(dir / "garbage.nii.gz", std::ios::binary) << bytes << "garbage after it";
  }
  poke<std::uint8_t>(path, size - 8, 0x5a);  // the CRC-32 in the trailer
  CHECK_THAT(data_error_of(path), Catch::Contains(path) &&
                                      Catch::Contains("gzip stream is corrupt") &&
                                      !Catch::Contains("truncated"));

  const std::string log = (dir / "log.txt").string();
  set_log_file(log);
  const NiftiVolume read = read_nifti((dir / "garbage.nii.gz").string());
  close_log_file();
  CHECK(read.values.size() == 24);
  std::ifstream in(log);
  CHECK_THAT(std::string(std::istreambuf_iterator<char>(in), {}),
             Catch::Contains("garbage.nii.gz: the file does not end with its gzip stream"));
}

TEST_CASE("float64 voxels beyond float32's range are said so", "[checks][header]") {
  const fs::path dir = scratch_folder("header_float64");
  RawVolume v;
  v.nx = 4, v.ny = 3, v.nz = 2, v.datatype = 64;  // NIFTI_TYPE_FLOAT64
  v.values.assign(24, 1.0);
  v.values[3] = 1e300;
  write_raw_nifti((dir / "wide.nii").string(), v);
  CHECK_THAT(data_error_of((dir / "wide.nii").string()),
             Catch::Contains("1 of its 24 float64 voxels are beyond float32's range"));
  v.values[3] = 1e30, v.datatype = 16, v.slope = 1e20;  // finite, until scaled
  write_raw_nifti((dir / "scaled.nii").string(), v);
  CHECK_THAT(data_error_of((dir / "scaled.nii").string()),
             Catch::Contains("beyond float32's range once scaled by scl_slope"));
}
