// The numbers cuDNN's convolution descriptors are built from.
#include "layers/conv_descriptors.h"

#include <limits>

#include "runtime/error.h"

namespace unet3d {
namespace {

// cuDNN's descriptors take int; a size past it is a usage error naming the shape.
int as_int(std::int64_t v, const Shape& of) {
  UNET3D_USAGE_CHECK(v <= std::numeric_limits<int>::max(), "cuDNN descriptor of ", of.str(), ": ",
                     v, " exceeds cuDNN's 32-bit sizes");
  return static_cast<int>(v);
}

}  // namespace

CudnnTensorArrays channels_last_tensor(const Shape& s) {
  const std::int64_t w_stride = s.c, h_stride = s.w * w_stride, d_stride = s.h * h_stride,
                     n_stride = s.d * d_stride;
  return {{as_int(s.n, s), as_int(s.c, s), as_int(s.d, s), as_int(s.h, s), as_int(s.w, s)},
          {as_int(n_stride, s), 1, as_int(d_stride, s), as_int(h_stride, s), as_int(w_stride, s)}};
}

std::array<int, 5> channels_last_filter(const Shape& w) {
  return {as_int(w.n, w), as_int(w.c, w), as_int(w.d, w), as_int(w.h, w), as_int(w.w, w)};
}

CudnnConvArrays same_size_convolution(const Shape& w) {
  UNET3D_USAGE_CHECK(w.d % 2 == 1 && w.h % 2 == 1 && w.w % 2 == 1, "convolution weights ", w.str(),
                     ": a size-preserving convolution needs odd kernel sizes");
  return {{as_int((w.d - 1) / 2, w), as_int((w.h - 1) / 2, w), as_int((w.w - 1) / 2, w)},
          {1, 1, 1},
          {1, 1, 1}};
}

CudnnConvDescriptors conv_descriptors(const Shape& x, const Shape& w, ConvChannels channels) {
  const Shape padded_w{channels.out, w.d, w.h, w.w, channels.in};
  return {channels_last_tensor(x.with_channels(channels.in)),
          channels_last_tensor(x.with_channels(channels.out)), channels_last_filter(padded_w),
          same_size_convolution(w)};
}

}  // namespace unet3d
