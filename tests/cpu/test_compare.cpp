// The comparison and parity helpers themselves: each way a result can be wrong must fail.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/elementwise.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;

TEST_CASE("compare passes equal values and fails NaN anywhere", "[compare]") {
  const std::vector<double> ref{1.0, -2.0, 3.0};
  CHECK(compare(ref, ref, tolerance(Check::exact)).ok);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(compare({1.0, nan, 3.0}, ref, tolerance(Check::parity_f16)).ok);
  CHECK_FALSE(compare(ref, {1.0, nan, 3.0}, tolerance(Check::parity_f16)).ok);
  CHECK_FALSE(compare({nan, nan, nan}, {nan, nan, nan}, tolerance(Check::parity_f16)).ok);
  CHECK_FALSE(compare({1.0, INFINITY, 3.0}, ref, tolerance(Check::parity_f16)).ok);
  // Equal infinities agree (an f16 overflow on both sides), and do not hide other mismatches.
  CHECK(compare({-INFINITY, 2.0}, {-INFINITY, 2.0}, tolerance(Check::exact)).ok);
  CHECK_FALSE(compare({INFINITY, 2.5}, {INFINITY, 2.0}, tolerance(Check::parity_f16)).ok);
  CHECK_FALSE(compare({INFINITY, 2.0}, {-INFINITY, 2.0}, tolerance(Check::parity_f16)).ok);
}

TEST_CASE("the long-sum tolerance scales its absolute bound by the reference's size", "[compare]") {
  // An element that cancelled to near 0 keeps an error of its terms' size: 5e-4 beside values
  // of 100 passes; 3e-3 does not, and neither passes the plain f32 parity bound.
  const std::vector<double> ref{100.0, -100.0, 100.0, 1e-3};
  const std::vector<double> near{100.0, -100.0, 100.0, 1.5e-3}, far{100.0, -100.0, 100.0, 4e-3};
  CHECK(compare(near, ref, tolerance(Check::reduction_f32)).ok);
  CHECK_FALSE(compare(near, ref, tolerance(Check::parity_f32)).ok);
  CHECK_FALSE(compare(far, ref, tolerance(Check::reduction_f32)).ok);
}

TEST_CASE("compare judges norm-wise and element-wise", "[compare]") {
  std::vector<double> ref(1000, 1.0);
  std::vector<double> out = ref;
  for (double& v : out) v += 1e-6;  // uniformly off by 1e-6: norm-wise 1e-6
  CHECK(compare(out, ref, {1e-5, 1e-5, 0}).ok);
  CHECK_FALSE(compare(out, ref, {1e-7, 1e-5, 0}).ok);

  out = ref;
  out[500] = 1.02;  // one outlier: norm-wise only 6e-4, but 2e-2 off element-wise
  const Comparison c = compare(out, ref, {1e-3, 1e-3, 1e-3});
  CHECK_FALSE(c.ok);
  CHECK(c.bound_violations == 1);
  CHECK(c.worst_index == 500);
  CHECK_THAT(c.describe(), Catch::Contains("worst at 500"));

  // An all-zero reference: only exact zeros (or values within atol) pass.
  CHECK(compare({0.0, 0.0}, {0.0, 0.0}, tolerance(Check::exact)).ok);
  CHECK_FALSE(compare({0.0, 1e-3}, {0.0, 0.0}, tolerance(Check::parity_f32)).ok);
}

namespace {

// A relu whose candidate run may leave the last element unwritten.
Op relu_op(bool skip_last) {
  return [skip_last](const Tensors& in, Tensors& out) {
    if (!skip_last) return relu_forward({in[0], out[0]});
    const std::int64_t n = in[0].numel();
    Tensor head = Tensor::view(const_cast<void*>(in[0].data()), {1, 1, 1, 1, n - 1}, in[0].dtype(),
                               in[0].device());
    Tensor out_head =
        Tensor::view(out[0].data(), {1, 1, 1, 1, n - 1}, out[0].dtype(), out[0].device());
    relu_forward({head, out_head});
  };
}

}  // namespace

TEST_CASE("the parity helper fails a kernel that leaves one element unwritten", "[parity]") {
  Tensors inputs;
  inputs.push_back(random_tensor({1, 1, 1, 1, 37}, DType::f32, 4));
  const std::vector<OutputSpec> outputs{{{1, 1, 1, 1, 37}, DType::f32}};

  const ParityReport good = compare_runs(relu_op(false), relu_op(false), Device::cpu, inputs,
                                         outputs, tolerance(Check::exact));
  CHECK(good.ok());

  const ParityReport bad = compare_runs(relu_op(false), relu_op(true), Device::cpu, inputs, outputs,
                                        tolerance(Check::parity_f16));
  CHECK_FALSE(bad.ok());
  CHECK(bad.outputs[0].nan_count == 1);
}

TEST_CASE("the parity helper starts accumulated outputs equal on both sides", "[parity]") {
  Tensors inputs;
  inputs.push_back(random_tensor({1, 1, 1, 1, 16}, DType::f32, 5));
  const std::vector<OutputSpec> outputs{{{1, 1, 1, 1, 16}, DType::f32, true}};
  const Op accumulate = [](const Tensors& in, Tensors& out) { add({in[0], out[0], out[0]}); };
  const ParityReport report =
      compare_runs(accumulate, accumulate, Device::cpu, inputs, outputs, tolerance(Check::exact));
  CHECK(report.ok());
  // A candidate that overwrites instead of accumulating must differ: the start was not zero.
  const Op overwrite = [](const Tensors& in, Tensors& out) { copy({in[0], out[0]}); };
  CHECK_FALSE(compare_runs(accumulate, overwrite, Device::cpu, inputs, outputs,
                           tolerance(Check::parity_f16))
                  .ok());
}
