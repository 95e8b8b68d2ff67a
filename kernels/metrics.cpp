// Argmax and Dice counts: argument checks, dispatch, and the CPU instantiations.
#include "kernels/metrics.h"

#include "kernels/exec_cpu.h"
#include "kernels/metrics_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::argmax_channels);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::dice_counts);

void argmax_channels(const Tensor& logits, Tensor& labels) {
  const Shape& s = logits.shape();
  UNET3D_USAGE_CHECK(labels.shape() == s.with_channels(1) && labels.dtype() == DType::u8 &&
                         labels.device() == logits.device() && s.c <= 255,
                     "argmax_channels: labels ", labels.describe(), " do not fit logits ",
                     logits.describe());
  UNET3D_RUN_ON_DEVICE_OF(logits, backend::argmax_channels, logits, labels);
}

void dice_counts(const Tensor& prediction, const Tensor& truth, Tensor& counts) {
  const Shape& s = prediction.shape();
  UNET3D_USAGE_CHECK(prediction.dtype() == DType::u8 && truth.dtype() == DType::u8 &&
                         truth.shape() == s && s.c == 1 && truth.device() == prediction.device(),
                     "dice_counts: prediction ", prediction.describe(), " and truth ",
                     truth.describe(), " must be matching u8 label maps");
  UNET3D_USAGE_CHECK(counts.shape().n == s.n && counts.shape().d == 1 && counts.shape().h == 1 &&
                         counts.shape().w == 3 && counts.dtype() == DType::f64 &&
                         counts.device() == prediction.device(),
                     "dice_counts: counts ", counts.describe(), " should be f64 [n=", s.n,
                     " d=1 h=1 w=3 c=classes]");
  UNET3D_RUN_ON_DEVICE_OF(prediction, backend::dice_counts, prediction, truth, counts);
}

}  // namespace unet3d
