// Argmax and Dice counts written once against an execution policy.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/channel_reduce.h"
#include "kernels/metrics.h"
#include "kernels/numeric.h"

namespace unet3d::metrics_impl {

template <class Exec, class S>
void argmax(const S* z, std::uint8_t* labels, std::int64_t rows, std::int64_t classes) {
  Exec::for_each(rows, [=] UNET3D_HD_LAMBDA(std::int64_t r) {
    const S* zr = z + r * classes;
    std::int64_t best = 0;
    auto best_value = load(&zr[0]);
    for (std::int64_t c = 1; c < classes; ++c)
      if (load(&zr[c]) > best_value) best_value = load(&zr[best = c]);
    labels[r] = static_cast<std::uint8_t>(best);
  });
}

struct CountTerm {  // [P = c and G = c], [P = c], [G = c]
  const std::uint8_t *prediction, *truth;
  UNET3D_HD Sums<3> operator()(std::int64_t row, std::int64_t c) const {
    const double p = prediction[row] == c ? 1.0 : 0.0, g = truth[row] == c ? 1.0 : 0.0;
    return {{p * g, p, g}};
  }
};

template <class Exec>
void dice_counts(const std::uint8_t* prediction, const std::uint8_t* truth, double* counts,
                 std::int64_t volumes, std::int64_t voxels, std::int64_t classes) {
  for (std::int64_t n = 0; n < volumes; ++n) {
    const double* sums = Exec::template channel_sums<3>(
        voxels, classes, CountTerm{prediction + n * voxels, truth + n * voxels});
    double* out = counts + n * 3 * classes;
    Exec::for_each(3 * classes, [=] UNET3D_HD_LAMBDA(std::int64_t i) { out[i] = sums[i]; });
  }
}

}  // namespace unet3d::metrics_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On, DType D>
void argmax_channels(const ArgmaxChannelsArgs& a) {
  using S = storage_t<On, D>;
  metrics_impl::argmax<Exec<On>>(typed(S{}, a.logits), static_cast<std::uint8_t*>(a.labels.data()),
                                 a.logits.numel() / a.logits.shape().c, a.logits.shape().c);
}

template <class On>
void dice_counts(const DiceCountsArgs& a) {
  metrics_impl::dice_counts<Exec<On>>(static_cast<const std::uint8_t*>(a.prediction.data()),
                                      static_cast<const std::uint8_t*>(a.truth.data()),
                                      static_cast<double*>(a.counts.data()), a.prediction.shape().n,
                                      a.prediction.shape().spatial(), a.counts.shape().c);
}

}  // namespace unet3d::backend

#define UNET3D_METRICS_ENTRIES(X) X(FLOAT, argmax_channels) X(PLAIN, dice_counts)
