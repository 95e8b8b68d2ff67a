// The vectorised f32 BatchNorm backward on the CPU (batchnorm_cpu.h).
#include "kernels/batchnorm_cpu.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels/batchnorm_impl.h"
#include "kernels/channel_reduce_cpu.h"
#include "kernels/cpu_clones.h"

namespace unet3d::cpu {
namespace {

constexpr std::int64_t kRowsPerBlock = 64;

// Where C divides 16 (C = 1, 2, 4, 8, 16), 16 consecutive values of the rows, from a row's
// start, hold channel l % C in lane l: the loops run over the rows' values as one run in
// vectors of 16, with per-lane copies of the channel vectors.
constexpr int kLanes = 16;

struct LaneChannels {
  float v[kLanes];
  LaneChannels(const float* per_channel, std::int64_t C) {
    for (int l = 0; l < kLanes; ++l) v[l] = per_channel[l % C];
  }
};

using batchnorm_impl::masked_grad;

// Sums of rows [first, end) into sums[2C] (g per channel, then g * xhat), f32 within blocks of
// kRowsPerBlock rows. `block` holds 2C floats of scratch. A is the fused activation, a template
// argument so that each loop is compiled for its own.
template <Activation A>
UNET3D_CPU_CLONES void chunk_sums(const float* __restrict x, const float* __restrict y,
                                  const float* __restrict dy, const float* __restrict mean,
                                  const float* __restrict inv_std, std::int64_t first,
                                  std::int64_t end, std::int64_t C, float* __restrict block,
                                  double* __restrict sums) {
  std::fill(sums, sums + 2 * C, 0.0);
  const bool lanes = kLanes % C == 0;
  const LaneChannels lane_mean(mean, lanes ? C : 1), lane_inv_std(inv_std, lanes ? C : 1);
  for (std::int64_t r0 = first; r0 < end; r0 += kRowsPerBlock) {
    const std::int64_t r1 = std::min(end, r0 + kRowsPerBlock);
    std::fill(block, block + 2 * C, 0.0f);
    if (lanes) {
      float g_sum[kLanes] = {}, gx_sum[kLanes] = {};
      std::int64_t i = r0 * C;
      for (; i + kLanes <= r1 * C; i += kLanes)
        for (int l = 0; l < kLanes; ++l) {
          const float g = masked_grad(y, dy, i + l, A);
          g_sum[l] += g;
          gx_sum[l] += g * ((x[i + l] - lane_mean.v[l]) * lane_inv_std.v[l]);
        }
      for (int l = 0; l < kLanes; ++l) {
        block[l % C] += g_sum[l];
        block[C + l % C] += gx_sum[l];
      }
      for (; i < r1 * C; ++i) {
        const std::int64_t c = i % C;
        const float g = masked_grad(y, dy, i, A);
        block[c] += g;
        block[C + c] += g * ((x[i] - mean[c]) * inv_std[c]);
      }
    } else {
      for (std::int64_t i = r0 * C; i < r1 * C; i += C)
        for (std::int64_t c = 0; c < C; ++c) {
          const float g = masked_grad(y, dy, i + c, A);
          block[c] += g;
          block[C + c] += g * ((x[i + c] - mean[c]) * inv_std[c]);
        }
    }
    for (std::int64_t c = 0; c < 2 * C; ++c) sums[c] += block[c];
  }
}

// dx over rows [first, end), from the per-channel coefficients.
template <Activation A>
UNET3D_CPU_CLONES void data_gradient(const float* __restrict x, const float* __restrict y,
                                     const float* __restrict dy, const float* __restrict mean,
                                     const float* __restrict inv_std, const float* __restrict scale,
                                     const float* __restrict mean_g,
                                     const float* __restrict mean_gx, std::int64_t first,
                                     std::int64_t end, std::int64_t C, float* __restrict dx) {
  const auto one = [&](std::int64_t i, std::int64_t c) {
    const float xhat = (x[i] - mean[c]) * inv_std[c];
    dx[i] = scale[c] * (masked_grad(y, dy, i, A) - mean_g[c] - xhat * mean_gx[c]);
  };
  if (kLanes % C != 0) {
    for (std::int64_t i = first * C; i < end * C; i += C)
      for (std::int64_t c = 0; c < C; ++c) one(i + c, c);
    return;
  }
  const LaneChannels m(mean, C), s(inv_std, C), a(scale, C), mg(mean_g, C), mgx(mean_gx, C);
  std::int64_t i = first * C;
  for (; i + kLanes <= end * C; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float xhat = (x[i + l] - m.v[l]) * s.v[l];
      dx[i + l] = a.v[l] * (masked_grad(y, dy, i + l, A) - mg.v[l] - xhat * mgx.v[l]);
    }
  for (; i < end * C; ++i) one(i, i % C);
}

template <Activation A>
UNET3D_CPU_CLONES void normalize_rows(const float* __restrict x, float* __restrict y,
                                      const float* __restrict gamma, const float* __restrict beta,
                                      const float* __restrict mean, const float* __restrict inv_std,
                                      std::int64_t first, std::int64_t end, std::int64_t C) {
  const auto one = [&](std::int64_t i, std::int64_t c) {
    y[i] = activate(gamma[c] * ((x[i] - mean[c]) * inv_std[c]) + beta[c], A);
  };
  if (kLanes % C != 0) {
    for (std::int64_t i = first * C; i < end * C; i += C)
      for (std::int64_t c = 0; c < C; ++c) one(i + c, c);
    return;
  }
  const LaneChannels g(gamma, C), b(beta, C), m(mean, C), s(inv_std, C);
  std::int64_t i = first * C;
  for (; i + kLanes <= end * C; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      y[i + l] = activate(g.v[l] * ((x[i + l] - m.v[l]) * s.v[l]) + b.v[l], A);
    }
  for (; i < end * C; ++i) one(i, i % C);
}

constexpr std::int64_t kRowsPerTask = 256;

// fn(std::integral_constant<Activation, a>{}): each activation's loops compiled on their own.
template <class Fn>
void with_activation(Activation a, Fn&& fn) {
  switch (a) {
    case Activation::relu: return fn(std::integral_constant<Activation, Activation::relu>{});
    case Activation::leaky_relu:
      return fn(std::integral_constant<Activation, Activation::leaky_relu>{});
    case Activation::none: break;
  }
  fn(std::integral_constant<Activation, Activation::none>{});
}

}  // namespace

void batchnorm_backward_f32(const float* x, const float* y, const float* dy, const float* gamma,
                            const float* mean, const float* inv_std, std::int64_t rows,
                            std::int64_t C, Activation activation, float* dx, float* dgamma,
                            float* dbeta, RankSums* ranks) {
  const std::int64_t chunks = row_chunks(rows);  // as channel_sums chunks them
  const std::int64_t per_chunk = (rows + chunks - 1) / chunks;
  std::vector<double> partial(static_cast<std::size_t>(chunks * 2 * C));
  std::vector<float> blocks(static_cast<std::size_t>(chunks * 2 * C));
  with_activation(activation, [&](auto a) {
#pragma omp parallel for schedule(static)
    for (std::int64_t k = 0; k < chunks; ++k)
      chunk_sums<a()>(x, y, dy, mean, inv_std, k * per_chunk, std::min(rows, (k + 1) * per_chunk),
                      C, blocks.data() + k * 2 * C, partial.data() + k * 2 * C);
  });
  // Per channel: the sums in chunk order (sum g, then sum g * xhat), this rank's into dbeta and
  // dgamma; then, over every rank where synchronised, dx's coefficients as the shared version
  // has them.
  std::vector<double> sums(static_cast<std::size_t>(2 * C), 0.0);
  for (std::int64_t c = 0; c < 2 * C; ++c)
    for (std::int64_t k = 0; k < chunks; ++k) sums[c] += partial[k * 2 * C + c];
  for (std::int64_t c = 0; c < C; ++c) {
    dbeta[c] += static_cast<float>(sums[c]);
    dgamma[c] += static_cast<float>(sums[C + c]);
  }
  double count = static_cast<double>(rows);
  if (ranks != nullptr) {
    ranks->sum(sums.data(), sums.size(), Device::cpu);
    count *= ranks->ranks();
  }
  std::vector<float> coefficients(static_cast<std::size_t>(3 * C));
  float* scale = coefficients.data();
  float* mean_g = scale + C;
  float* mean_gx = mean_g + C;
  const double inv_rows = 1.0 / count;
  for (std::int64_t c = 0; c < C; ++c) {
    scale[c] = gamma[c] * inv_std[c];
    mean_g[c] = static_cast<float>(sums[c] * inv_rows);
    mean_gx[c] = static_cast<float>(sums[C + c] * inv_rows);
  }
  const std::int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
  with_activation(activation, [&](auto a) {
#pragma omp parallel for schedule(static)
    for (std::int64_t t = 0; t < tasks; ++t)
      data_gradient<a()>(x, y, dy, mean, inv_std, scale, mean_g, mean_gx, t * kRowsPerTask,
                         std::min(rows, (t + 1) * kRowsPerTask), C, dx);
  });
}

void batchnorm_normalize_f32(const float* x, float* y, const float* gamma, const float* beta,
                             const float* mean, const float* inv_std, std::int64_t rows,
                             std::int64_t C, Activation activation) {
  const std::int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
  with_activation(activation, [&](auto a) {
#pragma omp parallel for schedule(static)
    for (std::int64_t t = 0; t < tasks; ++t)
      normalize_rows<a()>(x, y, gamma, beta, mean, inv_std, t * kRowsPerTask,
                          std::min(rows, (t + 1) * kRowsPerTask), C);
  });
}

}  // namespace unet3d::cpu
