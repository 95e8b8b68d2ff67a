// Channel concatenation and split: argument checks, dispatch, and the CPU instantiations.
#include "kernels/channels.h"

#include "kernels/channels_impl.h"
#include "kernels/check.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::concat_channels);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::split_channels);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::pad_channels);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::crop_channels);

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

void concat_channels(const Tensor& a, const Tensor& b, Tensor& out) {
  check_channels("concat_channels", a, b, out);
  UNET3D_RUN_ON_DEVICE_OF(out, backend::concat_channels, a, b, out);
}

void split_channels(const Tensor& dout, Tensor& da, Tensor& db) {
  check_channels("split_channels", da, db, dout);
  UNET3D_RUN_ON_DEVICE_OF(dout, backend::split_channels, dout, da, db);
}

void pad_channels(const Tensor& x, Tensor& padded) {
  check_padding("pad_channels", x, padded);
  UNET3D_RUN_ON_DEVICE_OF(x, backend::pad_channels, x, padded);
}

void crop_channels(const Tensor& padded, Tensor& x) {
  check_padding("crop_channels", x, padded);
  UNET3D_RUN_ON_DEVICE_OF(x, backend::crop_channels, padded, x);
}

}  // namespace unet3d
