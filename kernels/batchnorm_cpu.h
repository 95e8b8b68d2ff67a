// BatchNorm3d's backward and normalisation on the CPU for f32, vectorised where
// kernels/batchnorm_impl.h's shared versions ran one value at a time (the backward, one double
// per term, at about 20 cycles a value). The same formulas: the normalisation bit for bit; the
// backward's sums of g and g * xhat per channel are f32 over blocks of rows and f64 across
// blocks, in an order fixed by the row count, so they do not depend on the thread count.
#pragma once

#include <cstdint>

#include "kernels/activation.h"
#include "kernels/rank_sums.h"

namespace unet3d::cpu {

// g = the gradient through the fused activation (activation_grad of y and dy); xhat = (x - mean)
// * inv_std, per channel.
// dbeta += sum g, dgamma += sum g * xhat, and
// dx := gamma * inv_std * (g - mean(g) - xhat * mean(g * xhat)), over `rows` rows of C channels.
// With `ranks` (--sync-bn), dx's means are over every rank's rows (the sums added over the
// ranks, as the shared body does); dgamma and dbeta still get this rank's own sums.
void batchnorm_backward_f32(const float* x, const float* y, const float* dy, const float* gamma,
                            const float* mean, const float* inv_std, std::int64_t rows,
                            std::int64_t C, Activation activation, float* dx, float* dgamma,
                            float* dbeta, RankSums* ranks);

// y := activate(gamma (x - mean) inv_std + beta) per channel.
void batchnorm_normalize_f32(const float* x, float* y, const float* gamma, const float* beta,
                             const float* mean, const float* inv_std, std::int64_t rows,
                             std::int64_t C, Activation activation);

}  // namespace unet3d::cpu
