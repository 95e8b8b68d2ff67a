// Every op of verify/op_cases.h on the CPU in f32 against its reference computed in f64, at odd
// shapes: the descriptions bench times and the GPU tests check are themselves sound here.
#include <catch2/catch.hpp>

#include "verify/op_cases.h"

using namespace unet3d;

TEST_CASE("every op described for bench and the GPU tests matches its f64 reference", "[parity]") {
  REQUIRE(op_descriptions().size() >= 25);
  for (const OpDescription& d : op_descriptions()) {
    const OpCase c = d.make({{2, 5, 6, 7, 1}, 3, 6, 1000, DType::f32, DType::f32});
    INFO(d.name);
    CHECK(c.name == d.name);
    const ParityReport report = check_op(c, Device::cpu);
    INFO(report.describe());
    CHECK(report.ok());
  }
}
