// Every CUDA kernel against its CPU twin on the same random inputs, outputs poisoned first.
// Per-element kernels share their arithmetic with the CPU, so they must agree bit for bit;
// reductions add in another order and are held to the f32 parity tolerance.
#include <catch2/catch.hpp>

#include "kernels/elementwise.h"
#include "kernels/reduce.h"
#include "tests/support/require_parity.h"
#include "verify/parity.h"

using namespace unet3d;
using unet3d::testing::require_parity;

namespace {

// Odd sizes in every dimension and channel counts that are not multiples of 8.
const Shape kOdd{2, 5, 7, 9, 3};
// More elements than one launch's 65536 blocks x 256 threads: exercises the grid-stride loop.
const Shape kLarge{2, 64, 64, 64, 33};

Tensors random_inputs(int count, Shape shape, DType dtype, std::uint64_t seed) {
  Tensors inputs;
  for (int i = 0; i < count; ++i)
    inputs.push_back(random_tensor(shape, dtype, seed + static_cast<std::uint64_t>(i)));
  return inputs;
}

}  // namespace

TEST_CASE("fill and fill_uniform match the CPU bit for bit", "[parity][elementwise][memcheck]") {
  for (DType dtype : {DType::f32, DType::f16, DType::u8}) {
    INFO(dtype_name(dtype));
    require_parity(
        [](const Tensors&, Tensors& out) {
          fill({out[0], 0.3});
        },
        {}, {{kOdd, dtype}}, Check::exact);
  }
  for (DType dtype : {DType::f32, DType::f16}) {
    INFO(dtype_name(dtype));
    require_parity(
        [](const Tensors&, Tensors& out) {
          fill_uniform({out[0], 1234, -2.5f, 4.0f});
        },
        {}, {{kOdd, dtype}}, Check::exact);
  }
}

TEST_CASE("copy and cast match the CPU bit for bit", "[parity][elementwise][memcheck]") {
  const Op copy_op = [](const Tensors& in, Tensors& out) { copy({in[0], out[0]}); };
  const Op cast_op = [](const Tensors& in, Tensors& out) { cast({in[0], out[0]}); };
  require_parity(copy_op, random_inputs(1, kOdd, DType::f32, 10), {{kOdd, DType::f32}},
                 Check::exact);
  // Range past 65504 so overflow to inf is compared too.
  Tensors wide;
  wide.push_back(random_tensor(kOdd, DType::f32, 11, -70000.0f, 70000.0f));
  require_parity(cast_op, wide, {{kOdd, DType::f16}}, Check::exact);
  require_parity(cast_op, random_inputs(1, kOdd, DType::f16, 12), {{kOdd, DType::f32}},
                 Check::exact);
}

TEST_CASE("arithmetic kernels match the CPU bit for bit", "[parity][elementwise][memcheck]") {
  const Op add_op = [](const Tensors& in, Tensors& out) { add({in[0], in[1], out[0]}); };
  const Op scale_op = [](const Tensors& in, Tensors& out) { affine({in[0], -0.37, 0.0, out[0]}); };
  const Op relu_op = [](const Tensors& in, Tensors& out) { relu_forward({in[0], out[0]}); };
  const Op relu_grad_op = [](const Tensors& in, Tensors& out) {
    relu_backward({in[0], in[1], out[0]});
  };
  for (DType dtype : {DType::f32, DType::f16}) {
    INFO(dtype_name(dtype));
    require_parity(add_op, random_inputs(2, kOdd, dtype, 20), {{kOdd, dtype}}, Check::exact);
    require_parity(scale_op, random_inputs(1, kOdd, dtype, 22), {{kOdd, dtype}}, Check::exact);
    require_parity(relu_op, random_inputs(1, kOdd, dtype, 23), {{kOdd, dtype}}, Check::exact);
    require_parity(relu_grad_op, random_inputs(2, kOdd, dtype, 24), {{kOdd, dtype}}, Check::exact);
  }
}

TEST_CASE("a map over more elements than one launch covers matches the CPU", "[parity][large]") {
  const Op relu_op = [](const Tensors& in, Tensors& out) { relu_forward({in[0], out[0]}); };
  require_parity(relu_op, random_inputs(1, kLarge, DType::f32, 25), {{kLarge, DType::f32}},
                 Check::exact);
}

// Both reductions, f16 and f32 input, f32 and f64 output, at one shape.
static void require_reduction_parity(Shape shape) {
  const Op sum_op = [](const Tensors& in, Tensors& out) { sum({in[0], out[0]}); };
  const Op squares_op = [](const Tensors& in, Tensors& out) { sum_of_squares({in[0], out[0]}); };
  for (DType dtype : {DType::f32, DType::f16}) {
    for (DType out_dtype : {DType::f32, DType::f64}) {
      INFO(dtype_name(dtype) << " -> " << dtype_name(out_dtype) << " " << shape.str());
      require_parity(sum_op, random_inputs(1, shape, dtype, 30), {{Shape::scalar(), out_dtype}},
                     Check::parity_f32);
      require_parity(squares_op, random_inputs(1, shape, dtype, 31), {{Shape::scalar(), out_dtype}},
                     Check::parity_f32);
    }
  }
}

TEST_CASE("reductions match the CPU within the f32 tolerance", "[parity][reduce][memcheck]") {
  require_reduction_parity(Shape::scalar());
  require_reduction_parity(kOdd);
}

TEST_CASE("reductions over more partials than blocks match the CPU", "[parity][reduce][large]") {
  require_reduction_parity(kLarge);
}
