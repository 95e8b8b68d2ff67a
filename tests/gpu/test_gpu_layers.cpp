// Every layer op, CUDA against the CPU, forward and backward, in f32 (TF32 off) and f16,
// outputs poisoned with NaN first. The CPU convolutions compute in f32 or f64, so for f16 the
// CPU side widens its inputs, computes in f32 and rounds the result to f16.
#include <catch2/catch.hpp>

#include "io/preprocess.h"
#include "kernels/accumulate.h"
#include "kernels/channels.h"
#include "kernels/elementwise.h"
#include "kernels/flip.h"
#include "kernels/loss.h"
#include "kernels/metrics.h"
#include "kernels/pool.h"
#include "kernels/resize.h"
#include "kernels/softmax.h"
#include "layers/conv3d.h"
#include "layers/conv_transpose3d.h"
#include "verify/parity.h"

using namespace unet3d;

namespace {

const DType kDtypes[] = {DType::f32, DType::f16};

// Convolutions sum long runs of products, whose f32 rounding follows the terms' size, not the
// result's (an output that cancels to near 0 keeps it): they get the long-sum tolerance.
constexpr bool kLongSums = true;

Check check_for(DType dtype, bool long_sums) {
  if (dtype == DType::f16) return Check::parity_f16;
  return long_sums ? Check::reduction_f32 : Check::parity_f32;
}

void require_parity(const Op& op, const Tensors& inputs, const std::vector<OutputSpec>& outputs,
                    DType dtype, bool long_sums = false) {
  const ParityReport report =
      check_parity(op, inputs, outputs, tolerance(check_for(dtype, long_sums)));
  INFO(report.describe());
  REQUIRE(report.ok());
}

Tensors randoms(std::initializer_list<Shape> shapes, DType dtype, std::uint64_t seed) {
  Tensors t;
  for (const Shape& s : shapes) t.push_back(random_tensor(s, dtype, seed++));
  return t;
}

}  // namespace

TEST_CASE("maxpool, concat/split and softmax match the CPU", "[parity][layers]") {
  for (const DType dtype : kDtypes) {
    INFO(dtype_name(dtype));
    const Shape in{2, 5, 6, 7, 3}, pooled{2, 2, 3, 3, 3};
    require_parity(
        [](const Tensors& i, Tensors& o) {
          maxpool_forward(i[0], o[0]);
          maxpool_backward(i[0], i[1], o[1]);
        },
        randoms({in, pooled}, dtype, 1), {{pooled, dtype}, {in, dtype}}, dtype);
    const Shape a{2, 3, 5, 3, 3}, b{2, 3, 5, 3, 5}, ab{2, 3, 5, 3, 8};
    require_parity(
        [](const Tensors& i, Tensors& o) {
          concat_channels(i[0], i[1], o[0]);
          split_channels(i[2], o[1], o[2]);
        },
        randoms({a, b, ab}, dtype, 3), {{ab, dtype}, {a, dtype}, {b, dtype}}, dtype);
    const Shape s{2, 3, 4, 5, 6};
    require_parity(
        [](const Tensors& i, Tensors& o) {
          softmax_forward(i[0], o[0]);
          softmax_backward(o[0], i[1], o[1]);
        },
        randoms({s, s}, dtype, 6), {{s, dtype}, {s, dtype}}, dtype);
  }
}

TEST_CASE("resizing and flips match the CPU", "[parity][layers]") {
  for (const DType dtype : kDtypes) {
    INFO(dtype_name(dtype));
    const Shape in{2, 5, 4, 7, 3}, out{2, 8, 3, 11, 3};
    require_parity(
        [](const Tensors& i, Tensors& o) {
          resize_trilinear(i[0], o[0]);
          resize_trilinear_backward(i[1], o[1]);
        },
        randoms({in, out}, dtype, 10), {{out, dtype}, {in, dtype}}, dtype);
    require_parity([](const Tensors& i, Tensors& o) { flip(i[0], o[0], kFlipD | kFlipW); },
                   randoms({in}, dtype, 12), {{in, dtype}}, dtype);
  }
  Tensors labels;
  labels.push_back(random_labels({1, 9, 7, 5, 1}, 6, 13));
  require_parity(
      [](const Tensors& i, Tensors& o) {
        resize_nearest(i[0], o[0]);
        flip(i[0], o[1], kFlipH);
      },
      labels, {{{1, 4, 11, 5, 1}, DType::u8}, {{1, 9, 7, 5, 1}, DType::u8}}, DType::f32);
}

TEST_CASE("losses and metrics match the CPU", "[parity][loss]") {
  const Shape s{2, 5, 6, 7, 6};
  for (const DType dtype : kDtypes) {
    INFO(dtype_name(dtype));
    Tensors in;
    in.push_back(random_tensor(s, dtype, 20, -3.0f, 3.0f));
    in.push_back(random_labels(s, 6, 21));
    in.push_back(random_tensor(Shape::vector(6), DType::f32, 22, 0.2f, 3.0f));
    const std::vector<OutputSpec> outputs{{Shape::scalar(), DType::f32},
                                          {Shape::scalar(), DType::f32},
                                          {Shape::vector(3), DType::f32},
                                          {s, dtype},
                                          {s, dtype},
                                          {s, dtype}};
    require_parity(
        [](const Tensors& i, Tensors& o) {
          dice_loss(i[0], i[1], true, o[0], {&o[3], 0.5});
          cross_entropy(i[0], i[1], &i[2], o[1], {&o[4]});
          combined_loss(i[0], i[1], i[2], 0.5, 0.5, false, o[2], {&o[5]});
        },
        in, outputs, dtype);
    require_parity(
        [](const Tensors& i, Tensors& o) {
          argmax_channels(i[0], o[0]);
          dice_counts(o[0], i[1], o[1]);
        },
        in, {{s.with_channels(1), DType::u8}, {{2, 1, 1, 3, 6}, DType::f64}}, DType::f32);
  }
}

TEST_CASE("bias and gradient accumulation match the CPU", "[parity][layers]") {
  for (const DType dtype : kDtypes) {
    INFO(dtype_name(dtype));
    const Shape s{2, 3, 5, 7, 11}, v = Shape::vector(11);
    Tensors in = randoms({s, v}, dtype, 30);
    require_parity(
        [](const Tensors& i, Tensors& o) {
          add_channel_bias(o[0], i[1]);
          accumulate_channel_sums(i[0], o[1]);
          accumulate_into(i[0], o[2]);
        },
        in, {{s, dtype, true}, {v, DType::f32, true}, {s, DType::f32, true}}, dtype);
  }
}

// Few channels (the losses, the metrics) take the row-parallel layout, many (BatchNorm's) the
// channel-lane one; the row counts are no multiple of either's blocks, and the largest reaches
// the cap on blocks, so threads stride.
TEST_CASE("per-channel sums match the CPU for few and many channels", "[parity][reduce]") {
  for (const auto& [channels, rows] :
       {std::pair<std::int64_t, std::int64_t>{1, 1100007}, {6, 3149}, {32, 3149}, {512, 1037}}) {
    INFO(channels << " channels, " << rows << " rows");
    const Shape s{1, 1, 1, rows, channels};
    require_parity([](const Tensors& i, Tensors& o) { accumulate_channel_sums(i[0], o[0]); },
                   randoms({s}, DType::f32, 70), {{Shape::vector(channels), DType::f32, true}},
                   DType::f32, kLongSums);
  }
  for (const DType dtype : kDtypes)
    for (const std::int64_t classes : {6, 32}) {
      INFO(dtype_name(dtype) << " " << classes << " classes");
      const Shape s{2, 5, 6, 37, classes};
      Tensors in;
      in.push_back(random_tensor(s, dtype, 71, -3.0f, 3.0f));
      in.push_back(random_labels(s, static_cast<int>(classes), 72));
      require_parity(
          [](const Tensors& i, Tensors& o) {
            dice_loss(i[0], i[1], false, o[0], {&o[2]});
            cross_entropy(i[0], i[1], nullptr, o[1], {&o[3]});
          },
          in,
          {{Shape::scalar(), DType::f32}, {Shape::scalar(), DType::f32}, {s, dtype}, {s, dtype}},
          dtype);
    }
}

TEST_CASE("channel padding and cropping match the CPU", "[parity][layers]") {
  for (const DType dtype : kDtypes) {
    INFO(dtype_name(dtype));
    const Shape x{2, 3, 4, 5, 3}, padded{3, 3, 4, 5, 8};
    require_parity(
        [](const Tensors& i, Tensors& o) {
          pad_channels(i[0], o[0]);
          crop_channels(i[1], o[1]);
        },
        randoms({x, padded}, dtype, 75), {{padded, dtype}, {x, dtype}}, dtype);
  }
}

TEST_CASE("conv3d forward and backward match the CPU", "[parity][conv]") {
  for (const DType dtype : kDtypes) {
    for (const int k : {3, 1}) {
      INFO(dtype_name(dtype) << " k " << k);
      const Shape x{2, 5, 6, 7, 3}, y{2, 5, 6, 7, 13}, w{13, k, k, k, 3};
      Tensors in = randoms({x, w, Shape::vector(13), y}, dtype, 40);
      require_parity(widening([](const Tensors& i, Tensors& o) {
                       conv3d_forward(i[0], i[1], &i[2], o[0]);
                       conv3d_backward_data(i[3], i[1], o[1]);
                     }),
                     in, {{y, dtype}, {x, dtype}}, dtype, kLongSums);
      require_parity(widening([](const Tensors& i, Tensors& o) {
                       conv3d_backward_weights(i[0], i[3], o[0], &o[1]);
                     }),
                     in, {{w, DType::f32, true}, {Shape::vector(13), DType::f32, true}}, dtype,
                     kLongSums);
    }
  }
}

TEST_CASE("conv_transpose3d forward and backward match the CPU", "[parity][conv]") {
  for (const DType dtype : kDtypes) {
    INFO(dtype_name(dtype));
    const Shape x{2, 3, 2, 3, 5}, y{2, 6, 4, 6, 7}, w{5, 2, 2, 2, 7};
    Tensors in = randoms({x, w, Shape::vector(7), y}, dtype, 50);
    require_parity(widening([](const Tensors& i, Tensors& o) {
                     conv_transpose3d_forward(i[0], i[1], i[2], o[0]);
                     conv_transpose3d_backward_data(i[3], i[1], o[1]);
                   }),
                   in, {{y, dtype}, {x, dtype}}, dtype, kLongSums);
    require_parity(widening([](const Tensors& i, Tensors& o) {
                     conv_transpose3d_backward_weights(i[0], i[3], o[0], o[1]);
                   }),
                   in, {{w, DType::f32, true}, {Shape::vector(7), DType::f32, true}}, dtype,
                   kLongSums);
  }
}

TEST_CASE("preprocessing on the GPU matches the CPU", "[parity][dataset]") {
  const Tensor image = random_tensor({1, 7, 9, 5, 1}, DType::f32, 60, -100.0f, 900.0f);
  Tensor cpu_out({1, 12, 12, 12, 1}, DType::f32),
      gpu_out({1, 12, 12, 12, 1}, DType::f32, Device::cuda);
  preprocess_image(image, cpu_out, "cpu");
  preprocess_image(image.to(Device::cuda), gpu_out, "gpu");
  const Comparison c = compare(gpu_out, cpu_out, tolerance(Check::parity_f32));
  INFO(c.describe());
  CHECK(c.ok);
}
