// Channel concatenation and split: argument checks and dispatch.
#include "kernels/channels.h"

#include "kernels/check.h"
#include "unet3d/build_config.h"

namespace unet3d {
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

}  // namespace

void concat_channels(const Tensor& a, const Tensor& b, Tensor& out) {
  check_channels("concat_channels", a, b, out);
  if constexpr (kBuiltWithCuda)
    if (out.is_cuda()) return gpu::concat_channels(a, b, out);
  cpu::concat_channels(a, b, out);
}

void split_channels(const Tensor& dout, Tensor& da, Tensor& db) {
  check_channels("split_channels", da, db, dout);
  if constexpr (kBuiltWithCuda)
    if (dout.is_cuda()) return gpu::split_channels(dout, da, db);
  cpu::split_channels(dout, da, db);
}

}  // namespace unet3d
