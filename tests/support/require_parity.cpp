// The GPU tests' parity assertion.
#include "tests/support/require_parity.h"

#include <catch2/catch.hpp>

namespace unet3d::testing {

void require_parity(const Op& op, const Tensors& inputs, const std::vector<OutputSpec>& outputs,
                    Check check) {
  const ParityReport report = check_parity(op, inputs, outputs, tolerance(check));
  INFO(report.describe());
  REQUIRE(report.ok());
}

}  // namespace unet3d::testing
