// Bias and gradient accumulation: argument checks, dispatch, and the CPU instantiations.
#include "kernels/accumulate.h"

#include "kernels/accumulate_impl.h"
#include "kernels/check.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::add_channel_bias);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::accumulate_channel_sums);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::accumulate_into);

void add_channel_bias(Tensor& y, const Tensor& bias) {
  check_channel_vector("add_channel_bias", y, bias, y.dtype());
  UNET3D_RUN_ON_DEVICE_OF(y, backend::add_channel_bias, y, bias);
}

void accumulate_channel_sums(const Tensor& dy, Tensor& sums) {
  check_channel_vector("accumulate_channel_sums", dy, sums, accumulator_dtype(dy.dtype()));
  UNET3D_RUN_ON_DEVICE_OF(dy, backend::accumulate_channel_sums, dy, sums);
}

void accumulate_into(const Tensor& x, Tensor& y) {
  check_same_device_and_shape("accumulate_into", {&x, &y});
  UNET3D_USAGE_CHECK(y.dtype() == accumulator_dtype(x.dtype()), "accumulate_into: ", y.describe(),
                     " cannot accumulate ", x.describe());
  UNET3D_RUN_ON_DEVICE_OF(y, backend::accumulate_into, x, y);
}

}  // namespace unet3d
