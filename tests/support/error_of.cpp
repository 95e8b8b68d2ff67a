// The error-path helper of the tests.
#include "tests/support/error_of.h"

#include <catch2/catch.hpp>

namespace unet3d::testing {

std::string error_of(const std::function<void()>& f, ErrorKind expected) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.kind() == expected);
    return e.what();
  }
  return "(no error thrown)";
}

}  // namespace unet3d::testing
