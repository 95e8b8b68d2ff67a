// The parity helper on the GPU: a CUDA kernel that leaves one element unwritten fails it.
#include <catch2/catch.hpp>

#include "kernels/elementwise.h"
#include "tests/gpu/faulty_kernel.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

TEST_CASE("parity fails a CUDA kernel that leaves the last element unwritten",
          "[parity][memcheck]") {
  Tensors inputs;
  inputs.push_back(random_tensor({1, 3, 5, 7, 9}, DType::f32, 77));
  const std::vector<OutputSpec> outputs{{{1, 3, 5, 7, 9}, DType::f32}};
  const Op reference = [](const Tensors& in, Tensors& out) { relu_forward({in[0], out[0]}); };
  const Op faulty = [](const Tensors& in, Tensors& out) {
    relu_forward_skipping_last(in[0], out[0]);
  };

  const ParityReport report =
      compare_runs(reference, faulty, Device::cuda, inputs, outputs, tolerance(Check::parity_f16));
  CHECK_FALSE(report.ok());
  CHECK(report.outputs[0].nan_count == 1);

  CHECK(check_parity(reference, inputs, outputs, tolerance(Check::exact)).ok());
}
