// BatchNorm3d: CUDA against the CPU, f32 and f16 activations, outputs poisoned first.
#include <catch2/catch.hpp>

#include "kernels/batchnorm.h"
#include "verify/parity.h"

using namespace unet3d;

namespace {

const Shape kShape{2, 5, 7, 9, 11};  // odd everywhere, 11 channels: not a multiple of 8

Tensors batchnorm_inputs(DType dtype) {
  const Shape v = Shape::vector(kShape.c);
  Tensors in;
  in.push_back(random_tensor(kShape, dtype, 1, -2.0f, 3.0f));  // x
  in.push_back(random_tensor(v, DType::f32, 2, 0.5f, 1.5f));   // gamma
  in.push_back(random_tensor(v, DType::f32, 3, -0.5f, 0.5f));  // beta
  in.push_back(random_tensor(kShape, dtype, 4, -1.0f, 1.0f));  // dy
  in.push_back(random_tensor(v, DType::f32, 5, -0.2f, 0.2f));  // running mean (eval)
  in.push_back(random_tensor(v, DType::f32, 6, 0.5f, 2.0f));   // running var (eval)
  return in;
}

Check check_for(DType dtype) {
  return dtype == DType::f16 ? Check::parity_f16 : Check::parity_f32;
}

}  // namespace

TEST_CASE("batchnorm training forward and backward match the CPU", "[parity][batchnorm]") {
  for (const DType dtype : {DType::f32, DType::f16}) {
    for (const bool relu : {false, true}) {
      INFO(dtype_name(dtype) << (relu ? " with ReLU" : ""));
      const BatchNormOptions options{relu};
      const Shape v = Shape::vector(kShape.c);
      // Outputs: y, saved mean, saved inv_std, running mean, running var (updated in place, so
      // they start equal on both sides), dx, dgamma, dbeta (accumulated into).
      const std::vector<OutputSpec> outputs{
          {kShape, dtype},       {v, DType::f32}, {v, DType::f32},       {v, DType::f32, true},
          {v, DType::f32, true}, {kShape, dtype}, {v, DType::f32, true}, {v, DType::f32, true}};
      const Op op = [&](const Tensors& in, Tensors& out) {
        batchnorm_forward_train(in[0], in[1], in[2], out[3], out[4], out[1], out[2], out[0],
                                options);
        batchnorm_backward(in[0], out[0], in[3], in[1], out[1], out[2], out[5], out[6], out[7],
                           options);
      };
      const ParityReport report =
          check_parity(op, batchnorm_inputs(dtype), outputs, tolerance(check_for(dtype)));
      INFO(report.describe());
      CHECK(report.ok());
    }
  }
}

TEST_CASE("batchnorm evaluation matches the CPU", "[parity][batchnorm]") {
  for (const DType dtype : {DType::f32, DType::f16}) {
    INFO(dtype_name(dtype));
    const Op op = [](const Tensors& in, Tensors& out) {
      batchnorm_forward_eval(in[0], in[1], in[2], in[4], in[5], out[0], {true});
    };
    const ParityReport report =
        check_parity(op, batchnorm_inputs(dtype), {{kShape, dtype}}, tolerance(check_for(dtype)));
    INFO(report.describe());
    CHECK(report.ok());
  }
}
