// Bias and gradient accumulation: argument checks, dispatch, and the CPU instantiations.
#include "kernels/accumulate.h"

#include "kernels/accumulate_impl.h"
#include "kernels/check.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_ACCUMULATE_ENTRIES(UNET3D_GPU_ELSEWHERE)

void add_channel_bias(const AddChannelBiasArgs& a) {
  check_channel_vector("add_channel_bias", a.y, a.bias, a.y.dtype());
  UNET3D_RUN_FLOAT(a.y, add_channel_bias, a);
}

void accumulate_channel_sums(const AccumulateChannelSumsArgs& a) {
  check_channel_vector("accumulate_channel_sums", a.dy, a.sums, accumulator_dtype(a.dy.dtype()));
  UNET3D_RUN_FLOAT(a.dy, accumulate_channel_sums, a);
}

void accumulate_into(const AccumulateIntoArgs& a) {
  check_same_device_and_shape("accumulate_into", {&a.x, &a.y});
  UNET3D_USAGE_CHECK(a.y.dtype() == accumulator_dtype(a.x.dtype()),
                     "accumulate_into: ", a.y.describe(), " cannot accumulate ", a.x.describe());
  UNET3D_RUN_FLOAT(a.x, accumulate_into, a);
}

}  // namespace unet3d
