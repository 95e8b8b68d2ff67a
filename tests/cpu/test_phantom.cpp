// The synthetic pelvic phantoms: naming, determinism, every class present, the original's
// imbalance, and a written dataset that discovery reads as HipMRI.
#include <catch2/catch.hpp>
#include <filesystem>

#include "io/dataset.h"
#include "io/phantom.h"

using namespace unet3d;
namespace fs = std::filesystem;

TEST_CASE("phantom cases are Case_NNN with one to four weeks each", "[phantom]") {
  const std::vector<PhantomCase> cases = phantom_cases(20, 0);
  REQUIRE(cases.size() == 20);
  CHECK(cases[0].name() == "Case_001_Week0");
  int weeks = 0, patient = 0;
  for (const PhantomCase& c : cases) {
    if (c.patient != patient) {
      CHECK(c.patient == patient + 1);
      CHECK(c.week == 0);
      patient = c.patient;
      weeks = 0;
    } else {
      CHECK(c.week == ++weeks);
    }
    CHECK(c.week <= 3);
  }
  CHECK(phantom_cases(20, 0)[7].name() == cases[7].name());
}

TEST_CASE("a phantom holds every class in the original's proportions", "[phantom]") {
  const Phantom a = make_phantom({3, 1}, 64, 64, 32, 5);
  const Phantom b = make_phantom({3, 1}, 64, 64, 32, 5);
  const Phantom other_week = make_phantom({3, 2}, 64, 64, 32, 5);
  CHECK(a.image == b.image);
  CHECK(a.labels == b.labels);
  CHECK(a.labels != other_week.labels);
  std::vector<double> fraction(6, 0.0);
  for (const std::uint8_t l : a.labels) fraction[l] += 1.0 / static_cast<double>(a.labels.size());
  for (int k = 0; k < 6; ++k) CHECK(fraction[k] > 0);
  CHECK(fraction[5] < 0.005);  // prostate: about 0.2 %
  CHECK(fraction[5] > 0.0005);
  CHECK(fraction[1] > fraction[2]);
  CHECK(a.geometry.dx == Approx(410.0 / 64));
}

TEST_CASE("a written phantom dataset is found as HipMRI pairs", "[phantom][dataset]") {
  const fs::path dir = fs::temp_directory_path() / "unet3d_phantoms";
  fs::remove_all(dir);
  const std::vector<std::int64_t> counts = write_phantom_dataset(dir.string(), 5, 16, 16, 8, 1);
  std::int64_t total = 0;
  for (const std::int64_t c : counts) total += c;
  CHECK(total == 5 * 16 * 16 * 8);
  const DatasetIndex index = discover_dataset(dir.string(), DatasetLayout::automatic);
  CHECK(index.layout == DatasetLayout::hipmri);
  REQUIRE(index.cases.size() == 5);
  CHECK(index.cases[0].patient == "Case_001");
  const LoadedCase c = load_case(index.cases[0], 6);
  CHECK(c.image.datatype == 4);  // int16
  CHECK(c.image.geometry.nz == 8);
}
