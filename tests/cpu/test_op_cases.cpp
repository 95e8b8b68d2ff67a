// Every op of verify/op_cases.h on the CPU in f32 against its reference computed in f64, at odd
// shapes: the descriptions bench times and the GPU tests check are themselves sound here; and
// every gradient those descriptions carry against central differences, in f64.
#include <catch2/catch.hpp>

#include "tests/support/gradcheck.h"
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

TEST_CASE("every op gradient described in verify/op_cases matches central differences",
          "[gradcheck]") {
  std::size_t ops = 0, cases = 0;
  for (const OpDescription& d : op_descriptions()) {
    if (!d.gradients) continue;
    ++ops;
    for (GradientCase& g : d.gradients()) {
      INFO(d.name << ": " << g.name);
      REQUIRE(g.wrt.size() == g.wrt_names.size());
      const Tensors analytic = g.gradients(g.inputs);
      REQUIRE(analytic.size() == g.wrt.size());
      for (std::size_t k = 0; k < g.wrt.size(); ++k)
        CHECK(testing::gradient_check(g.name + " " + g.wrt_names[k], g.inputs[g.wrt[k]],
                                      analytic[k], [&] { return g.loss(g.inputs); }, {g.probes})
                  .ok);
      ++cases;
    }
  }
  // relu, batchnorm, maxpool, concat, three losses, instancenorm
  CHECK(ops == 8);
  CHECK(cases >= 49);
}
