// The real data is where the tests expect it and nifticlib reads it: image and label headers of
// the hippocampus set agree and match what its README states.
#include <nifti2_io.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>

#include "tests/support/test_data.h"

using namespace unet3d::testing;

namespace {

struct NiftiDeleter {
  void operator()(nifti_image* image) const { nifti_image_free(image); }
};
using NiftiHeader = std::unique_ptr<nifti_image, NiftiDeleter>;

NiftiHeader read_header(const std::filesystem::path& path) {
  return NiftiHeader(nifti_image_read(path.c_str(), 0));
}

}  // namespace

TEST_CASE("hippocampus images and labels pair up with matching grids", "[data][nifti]") {
  const auto root = test_data_dir() / "hippocampus";
  int pairs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root / "imagesTr")) {
    const auto image_path = entry.path();
    const auto label_path = root / "labelsTr" / image_path.filename();
    INFO(image_path.string());
    REQUIRE(std::filesystem::exists(label_path));
    const NiftiHeader image = read_header(image_path);
    const NiftiHeader label = read_header(label_path);
    REQUIRE(image != nullptr);
    REQUIRE(label != nullptr);
    CHECK(image->nx == label->nx);
    CHECK(image->ny == label->ny);
    CHECK(image->nz == label->nz);
    CHECK((image->nx >= 31 && image->nx <= 43));
    CHECK((image->ny >= 40 && image->ny <= 59));
    CHECK((image->nz >= 24 && image->nz <= 47));
    ++pairs;
  }
  CHECK(pairs == 200);
}
