// Argmax and Dice counts on the CPU: metrics_impl.h with the CPU loops.
#include "kernels/exec_cpu.h"
#include "kernels/metrics.h"
#include "kernels/metrics_impl.h"

namespace unet3d::cpu {

void argmax_channels(const Tensor& logits, Tensor& labels) {
  with_storage_type("argmax_channels", logits, [&](auto s) {
    using S = decltype(s);
    metrics_impl::argmax<Exec>(static_cast<const S*>(logits.data()),
                               static_cast<std::uint8_t*>(labels.data()),
                               logits.numel() / logits.shape().c, logits.shape().c);
  });
}

void dice_counts(const Tensor& prediction, const Tensor& truth, Tensor& counts) {
  metrics_impl::dice_counts<Exec>(static_cast<const std::uint8_t*>(prediction.data()),
                                  static_cast<const std::uint8_t*>(truth.data()),
                                  static_cast<double*>(counts.data()), prediction.shape().n,
                                  prediction.shape().spatial(), counts.shape().c);
}

}  // namespace unet3d::cpu
