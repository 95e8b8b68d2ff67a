// Error messages name the condition, the values, the file and the line; kinds map to exit codes.
#include <catch2/catch.hpp>

#include "runtime/device.h"
#include "runtime/error.h"

using namespace unet3d;

TEST_CASE("UNET3D_CHECK names the condition, the message and the place", "[errors]") {
  const int channels = 7;
  try {
    UNET3D_CHECK(channels % 8 == 0, "channels = ", channels);
    FAIL("the check passed");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::runtime);
    CHECK(e.exit_code() == 1);
    CHECK_THAT(e.what(), Catch::Contains("channels % 8 == 0") && Catch::Contains("channels = 7") &&
                             Catch::Contains("test_errors.cpp:"));
  }
}

TEST_CASE("usage errors exit with 2", "[errors]") {
  try {
    UNET3D_USAGE_CHECK(false, "--epochs: '", "x", "' is not a number");
    FAIL("the check passed");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK_THAT(e.what(), Catch::StartsWith("--epochs: 'x' is not a number"));
  }
}

TEST_CASE("device words are parsed or refused by name", "[errors][device]") {
  CHECK(parse_device("cpu") == Device::cpu);
  CHECK(parse_device("auto") == (gpu_available() ? Device::cuda : Device::cpu));
  CHECK_THROWS_WITH(parse_device("gpu"), Catch::Contains("'gpu'"));
  if (!gpu_available()) {
    CHECK_FALSE(gpu_unavailable_reason().empty());
    CHECK_THROWS_WITH(parse_device("cuda"), Catch::Contains(gpu_unavailable_reason()));
  }
}
