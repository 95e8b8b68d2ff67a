// Conv3d on zero-padded channel counts.
#include "layers/conv3d_padded.h"

#include "kernels/accumulate.h"
#include "kernels/channels.h"
#include "kernels/elementwise.h"

namespace unet3d {

PaddedConv3d::PaddedConv3d(const Shape& x, const Shape& w, DType dtype, Device device,
                           ConvChannels channels)
    : channels_(channels) {
  UNET3D_USAGE_CHECK(channels.in >= w.c && channels.out >= w.n, "PaddedConv3d: ", channels.in,
                     " and ", channels.out, " channels cannot hold weights ", w.str());
  if (channels.in != w.c) x_ = Tensor(x.with_channels(channels.in), dtype, device);
  if (channels.out != w.n) y_ = Tensor(x.with_channels(channels.out), dtype, device);
  if (pads()) {
    const Shape padded_w{channels.out, w.d, w.h, w.w, channels.in};
    const DType accumulator = accumulator_dtype(dtype);
    w_ = Tensor(padded_w, dtype, device);
    weight_grad_ = Tensor(padded_w, accumulator, device);
    cropped_grad_ = Tensor(w, accumulator, device);
  }
}

bool PaddedConv3d::pads() const {
  return x_.numel() > 0 || y_.numel() > 0;
}

const Tensor& PaddedConv3d::padded(const Tensor& t, Tensor& buffer) {
  if (buffer.numel() == 0) return t;
  pad_channels({t, buffer});
  return buffer;
}

void PaddedConv3d::forward(const Tensor& x, const Tensor& w, Tensor& y, const ConvCall& conv) {
  Tensor& out = y_.numel() > 0 ? y_ : y;
  conv(padded(x, x_), padded(w, w_), out);
  if (&out != &y) crop_channels({out, y});
}

void PaddedConv3d::backward_data(const Tensor& dy, const Tensor& w, Tensor& dx,
                                 const ConvCall& conv) {
  Tensor& out = x_.numel() > 0 ? x_ : dx;
  conv(padded(dy, y_), padded(w, w_), out);
  if (&out != &dx) crop_channels({out, dx});
}

void PaddedConv3d::backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw,
                                    const ConvCall& conv) {
  if (!pads()) return conv(x, dy, dw);
  fill({weight_grad_, 0.0});
  conv(padded(x, x_), padded(dy, y_), weight_grad_);
  crop_channels({weight_grad_, cropped_grad_});
  accumulate_into({cropped_grad_, dw});
}

}  // namespace unet3d
