// The vectorised f32 BatchNorm passes on the CPU (batchnorm_cpu.h).
#include "kernels/batchnorm_cpu.h"

#include <algorithm>
#include <vector>

#include "kernels/batchnorm_impl.h"
#include "kernels/cpu_clones.h"

namespace unet3d::batchnorm_impl {
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

// Sums of rows [first, end) into sums[2C] (g per channel, then g * xhat), f32 within blocks of
// kRowsPerBlock rows. A is the fused activation, a template argument so that each loop is
// compiled for its own.
template <Activation A>
UNET3D_CPU_CLONES void chunk_sums(const BackwardTerm<float>& t, std::int64_t first,
                                  std::int64_t end, double* __restrict sums) {
  const float* __restrict x = t.x, * __restrict y = t.y, * __restrict dy = t.dy;
  const float* __restrict mean = t.mean, * __restrict inv_std = t.inv_std;
  const std::int64_t C = t.channels;
  thread_local std::vector<float> scratch;
  scratch.resize(static_cast<std::size_t>(2 * C));
  float* __restrict block = scratch.data();
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

// dx over rows [first, end); `k` holds the per-channel coefficients gamma * inv_std, mean(g)
// and mean(g * xhat), C each.
template <Activation A>
UNET3D_CPU_CLONES void data_gradient(const DataGradient<float>& d, const float* __restrict k,
                                     std::int64_t first, std::int64_t end) {
  const float* __restrict x = d.x, * __restrict y = d.y, * __restrict dy = d.dy;
  const float* __restrict mean = d.mean, * __restrict inv_std = d.inv_std;
  float* __restrict dx = d.dx;
  const std::int64_t C = d.C;
  const float *scale = k, *mean_g = k + C, *mean_gx = k + 2 * C;
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
UNET3D_CPU_CLONES void normalize_rows(const Normalize<float>& n, std::int64_t first,
                                      std::int64_t end) {
  const float* __restrict x = n.x, * __restrict gamma = n.gamma, * __restrict beta = n.beta;
  const float* __restrict mean = n.mean, * __restrict inv_std = n.inv_std;
  float* __restrict y = n.y;
  const std::int64_t C = n.C;
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

// The loop compiled for activation a, picked once per call rather than per value.
template <class Loop>
Loop for_activation(Activation a, Loop none, Loop relu, Loop leaky_relu) {
  switch (a) {
    case Activation::relu: return relu;
    case Activation::leaky_relu: return leaky_relu;
    case Activation::none: break;
  }
  return none;
}

}  // namespace

void cpu_fast_path(const Normalize<float>& body, std::int64_t rows) {
  const auto loop =
      for_activation(body.activation, &normalize_rows<Activation::none>,
                     &normalize_rows<Activation::relu>, &normalize_rows<Activation::leaky_relu>);
  const std::int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
#pragma omp parallel for schedule(static)
  for (std::int64_t t = 0; t < tasks; ++t)
    loop(body, t * kRowsPerTask, std::min(rows, (t + 1) * kRowsPerTask));
}

void cpu_fast_path(const BackwardTerm<float>& term, std::int64_t first, std::int64_t end,
                   double* sums) {
  const auto loop =
      for_activation(term.activation, &chunk_sums<Activation::none>, &chunk_sums<Activation::relu>,
                     &chunk_sums<Activation::leaky_relu>);
  loop(term, first, end, sums);
}

void cpu_fast_path(const DataGradient<float>& body, std::int64_t rows) {
  const std::int64_t C = body.C;
  thread_local std::vector<float> coefficients;
  coefficients.resize(static_cast<std::size_t>(3 * C));
  float* scale = coefficients.data();
  float* mean_g = scale + C;
  float* mean_gx = mean_g + C;
  for (std::int64_t c = 0; c < C; ++c) {
    scale[c] = body.gamma[c] * body.inv_std[c];
    mean_g[c] = static_cast<float>(body.sums[c] * body.inv_rows);
    mean_gx[c] = static_cast<float>(body.sums[C + c] * body.inv_rows);
  }
  const auto loop =
      for_activation(body.activation, &data_gradient<Activation::none>,
                     &data_gradient<Activation::relu>, &data_gradient<Activation::leaky_relu>);
  const std::int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
#pragma omp parallel for schedule(static)
  for (std::int64_t t = 0; t < tasks; ++t)
    loop(body, scale, t * kRowsPerTask, std::min(rows, (t + 1) * kRowsPerTask));
}

}  // namespace unet3d::batchnorm_impl
