// Channel concatenation and split: argument checks, dispatch, and the CPU instantiations.
#include "kernels/channels.h"

#include "kernels/channels_impl.h"
#include "kernels/check.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_CHANNELS_ENTRIES(UNET3D_GPU_ELSEWHERE)

namespace {

void check_channels(const char* op, const Tensor& a, const Tensor& b, const Tensor& joined) {
  const Shape& s = a.shape();
  const Shape expected = s.with_channels(s.c + b.shape().c);
  const Shape b_expected = s.with_channels(b.shape().c);
  UNET3D_USAGE_CHECK(b.shape() == b_expected && joined.shape() == expected, op, ": ", a.describe(),
                     " and ", b.describe(), " do not join into ", joined.describe());
  for (const Tensor* t : {&b, &joined})
    UNET3D_USAGE_CHECK(t->dtype() == a.dtype() && t->device() == a.device(), op, ": ",
                       t->describe(), " differs in dtype or device from ", a.describe());
}

// `padded` holds x's grid with at least x's items and channels, in x's dtype and device.
void check_padding(const char* op, const Tensor& x, const Tensor& padded) {
  const Shape &s = x.shape(), &p = padded.shape();
  UNET3D_USAGE_CHECK(p.d == s.d && p.h == s.h && p.w == s.w && p.n >= s.n && p.c >= s.c, op, ": ",
                     padded.describe(), " is not ", x.describe(), " with more items or channels");
  UNET3D_USAGE_CHECK(padded.dtype() == x.dtype() && padded.device() == x.device(), op, ": ",
                     padded.describe(), " differs in dtype or device from ", x.describe());
}

}  // namespace

void concat_channels(const ConcatChannelsArgs& a) {
  check_channels("concat_channels", a.first, a.second, a.out);
  UNET3D_RUN_FLOAT(a.out, concat_channels, a);
}

void split_channels(const SplitChannelsArgs& a) {
  check_channels("split_channels", a.da, a.db, a.dout);
  UNET3D_RUN_FLOAT(a.dout, split_channels, a);
}

void pad_channels(const PadChannelsArgs& a) {
  check_padding("pad_channels", a.x, a.padded);
  UNET3D_RUN_ON_DEVICE_OF(a.x, pad_channels, a);
}

void crop_channels(const CropChannelsArgs& a) {
  check_padding("crop_channels", a.x, a.padded);
  UNET3D_RUN_ON_DEVICE_OF(a.x, crop_channels, a);
}

}  // namespace unet3d
