// Argmax and Dice counts: argument checks, dispatch, and the CPU instantiations.
#include "kernels/metrics.h"

#include "kernels/exec_cpu.h"
#include "kernels/metrics_impl.h"

namespace unet3d {

UNET3D_METRICS_ENTRIES(UNET3D_GPU_ELSEWHERE)

void argmax_channels(const ArgmaxChannelsArgs& a) {
  const Shape& s = a.logits.shape();
  UNET3D_USAGE_CHECK(a.labels.shape() == s.with_channels(1) && a.labels.dtype() == DType::u8 &&
                         a.labels.device() == a.logits.device() && s.c <= 255,
                     "argmax_channels: labels ", a.labels.describe(), " do not fit logits ",
                     a.logits.describe());
  UNET3D_RUN_FLOAT(a.logits, argmax_channels, a);
}

void dice_counts(const DiceCountsArgs& a) {
  const Shape& s = a.prediction.shape();
  UNET3D_USAGE_CHECK(a.prediction.dtype() == DType::u8 && a.truth.dtype() == DType::u8 &&
                         a.truth.shape() == s && s.c == 1 &&
                         a.truth.device() == a.prediction.device(),
                     "dice_counts: prediction ", a.prediction.describe(), " and truth ",
                     a.truth.describe(), " must be matching u8 label maps");
  UNET3D_USAGE_CHECK(a.counts.shape().n == s.n && a.counts.shape().d == 1 &&
                         a.counts.shape().h == 1 && a.counts.shape().w == 3 &&
                         a.counts.dtype() == DType::f64 &&
                         a.counts.device() == a.prediction.device(),
                     "dice_counts: counts ", a.counts.describe(), " should be f64 [n=", s.n,
                     " d=1 h=1 w=3 c=classes]");
  UNET3D_RUN_ON_DEVICE_OF(a.prediction, dice_counts, a);
}

}  // namespace unet3d
