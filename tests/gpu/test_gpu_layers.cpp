// Every op of verify/op_cases.h, CUDA against the CPU reference (one precision wider) at odd
// shapes, in f32 (TF32 off) and f16, outputs poisoned with NaN first; the per-channel sums'
// two layouts at their edges; preprocessing.
#include <catch2/catch.hpp>

#include "io/preprocess.h"
#include "kernels/accumulate.h"
#include "kernels/loss.h"
#include "tests/support/require_parity.h"
#include "verify/op_cases.h"

using namespace unet3d;
using unet3d::testing::require_parity;

namespace {

const DType kDtypes[] = {DType::f32, DType::f16};

// Odd sizes everywhere, 3 features (no multiple of 8: cuDNN's f16 kernels get padded channels).
OpShapes odd_shapes(DType dtype) {
  return {{2, 5, 6, 7, 1}, 3, 6, 1000, dtype, DType::f32};
}

// Checks every description on CUDA whose convolutions-or-not matches `weights`.
void check_ops(bool convolutions) {
  for (const DType dtype : kDtypes)
    for (const OpDescription& d : op_descriptions()) {
      const OpCase c = d.make(odd_shapes(dtype));
      if ((c.flops > 0) != convolutions) continue;
      INFO(d.name << " " << dtype_name(dtype));
      const ParityReport report = check_op(c, Device::cuda);
      INFO(report.describe());
      CHECK(report.ok());
    }
}

}  // namespace

TEST_CASE("every op without weights matches the CPU", "[parity][layers][memcheck]") {
  check_ops(false);
}

TEST_CASE("every convolution matches the CPU", "[parity][conv]") {
  check_ops(true);
}

// Few channels (the losses, the metrics) take the row-parallel layout, many (BatchNorm's) the
// channel-lane one; the row counts are no multiple of either's blocks, and the largest reaches
// the cap on blocks, so threads stride.
TEST_CASE("per-channel sums match the CPU for few and many channels",
          "[parity][reduce][memcheck]") {
  for (const auto& [channels, rows] :
       {std::pair<std::int64_t, std::int64_t>{1, 1100007}, {6, 3149}, {32, 3149}, {512, 1037}}) {
    INFO(channels << " channels, " << rows << " rows");
    const Shape s{1, 1, 1, rows, channels};
    Tensors in;
    in.push_back(random_tensor(s, DType::f32, 70));
    require_parity(
        [](const Tensors& i, Tensors& o) {
          accumulate_channel_sums({i[0], o[0]});
        },
        in, {{Shape::vector(channels), DType::f32, true}}, Check::reduction_f32);
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
            dice_loss({i[0], i[1], false, o[0], {&o[2]}});
            cross_entropy({i[0], i[1], nullptr, o[1], {&o[3]}});
          },
          in,
          {{Shape::scalar(), DType::f32}, {Shape::scalar(), DType::f32}, {s, dtype}, {s, dtype}},
          dtype == DType::f16 ? Check::parity_f16 : Check::parity_f32);
    }
}

TEST_CASE("preprocessing on the GPU matches the CPU", "[parity][dataset][memcheck]") {
  const Tensor image = random_tensor({1, 7, 9, 5, 1}, DType::f32, 60, -100.0f, 900.0f);
  Tensor cpu_out({1, 12, 12, 12, 1}, DType::f32),
      gpu_out({1, 12, 12, 12, 1}, DType::f32, Device::cuda);
  preprocess_image(image, cpu_out, "cpu");
  preprocess_image(image.to(Device::cuda), gpu_out, "gpu");
  const Comparison c = compare(gpu_out, cpu_out, tolerance(Check::parity_f32));
  INFO(c.describe());
  CHECK(c.ok);
  // Two channels, each z-scored on its own and stacked on the device (concat_channels).
  NiftiVolume two;
  two.geometry.nx = 5, two.geometry.ny = 9, two.geometry.nz = 7, two.channels = 2;
  const Tensor other = random_tensor({1, 7, 9, 5, 1}, DType::f32, 61, 10.0f, 20.0f);
  two.values.assign(image.data_as<float>(), image.data_as<float>() + image.numel());
  two.values.insert(two.values.end(), other.data_as<float>(),
                    other.data_as<float>() + other.numel());
  Tensor cpu_two({1, 12, 12, 12, 2}, DType::f32),
      gpu_two({1, 12, 12, 12, 2}, DType::f32, Device::cuda);
  preprocess_channels(two, cpu_two, "cpu");
  preprocess_channels(two, gpu_two, "gpu");
  const Comparison both = compare(gpu_two, cpu_two, tolerance(Check::parity_f32));
  INFO(both.describe());
  CHECK(both.ok);
}
