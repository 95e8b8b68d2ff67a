// Conv3d: argument checks, dispatch, and the bias on either backend.
#include "layers/conv3d.h"

#include "kernels/accumulate.h"
#include "kernels/check.h"
#include "kernels/conv3d_cpu.h"
#include "layers/conv3d_cudnn.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

// x and y fit a kernel of shape k and share its dtype (`dtype`) and device.
void check_conv(const char* op, const Tensor& x, const Tensor& w, DType dtype, const Tensor& y) {
  const Shape& k = w.shape();
  const auto valid = [](std::int64_t side) { return side == 1 || side == 3; };
  UNET3D_USAGE_CHECK(valid(k.d) && valid(k.h) && valid(k.w), op, ": weights ", w.describe(),
                     " are not a kernel of 1 or 3 per axis [Cout, kd, kh, kw, Cin]");
  UNET3D_USAGE_CHECK(x.shape().c == k.c && y.shape() == x.shape().with_channels(k.n), op, ": ",
                     x.describe(), " and ", y.describe(), " do not fit weights ", w.describe());
  UNET3D_USAGE_CHECK(x.dtype() == y.dtype() && w.dtype() == dtype && x.device() == w.device() &&
                         y.device() == w.device(),
                     op, ": ", x.describe(), ", ", w.describe(), " and ", y.describe(),
                     " differ in dtype or device (weights should be ", dtype_name(dtype), ")");
}

}  // namespace

void conv3d_forward(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y,
                    Activation activation) {
  check_conv("conv3d_forward", x, w, x.dtype(), y);
  UNET3D_USAGE_CHECK(bias != nullptr || activation == Activation::none,
                     "conv3d_forward: an activation needs a bias (a folded BatchNorm's)");
  UNET3D_USAGE_CHECK(
      bias == nullptr || (bias->dtype() == y.dtype() && bias->device() == y.device() &&
                          bias->numel() == y.shape().c),
      "conv3d_forward: bias ", bias ? bias->describe() : "", " does not fit ", y.describe());
  if (x.is_cuda()) {
    if constexpr (kBuiltWithCuda) gpu::conv3d_forward(x, w, y);
    if (bias != nullptr) add_channel_bias({y, *bias, activation});
    return;
  }
  cpu::conv3d_forward(x, w, y, {bias, activation});
}

void conv3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  check_conv("conv3d_backward_data", dx, w, dx.dtype(), dy);
  if constexpr (kBuiltWithCuda)
    if (dy.is_cuda()) return gpu::conv3d_backward_data(dy, w, dx);
  cpu::conv3d_backward_data(dy, w, dx);
}

void conv3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw, Tensor* db) {
  check_conv("conv3d_backward_weights", x, dw, accumulator_dtype(x.dtype()), dy);
  if (x.is_cuda()) {
    if constexpr (kBuiltWithCuda) gpu::conv3d_backward_weights(x, dy, dw);
  } else {
    cpu::conv3d_backward_weights(x, dy, dw);
  }
  if (db != nullptr) accumulate_channel_sums({dy, *db});
}

std::string conv_planning_report() {
  if constexpr (kBuiltWithCuda) return gpu::conv_planning_report();
  return "";
}

}  // namespace unet3d
