// Sliding-window inference: window placement, the Gaussian weights and the weighted mean.
#include "layers/sliding_window.h"

#include <algorithm>
#include <cmath>

#include "kernels/numeric.h"
#include "runtime/error.h"

namespace unet3d {

AxisPadding window_padding(std::int64_t n, std::int64_t p) {
  const std::int64_t diff = std::max<std::int64_t>(p - n, 0);
  return {diff / 2, diff - diff / 2};
}

std::vector<std::int64_t> window_starts(std::int64_t n, std::int64_t p, double overlap) {
  UNET3D_USAGE_CHECK(p >= 1 && n >= p, "window_starts: an axis of ", n,
                     " voxels is shorter than the patch's ", p, " (pad it first)");
  UNET3D_USAGE_CHECK(overlap >= 0 && overlap < 1, "window_starts: overlap ", overlap,
                     " is not in [0, 1)");
  if (n == p) return {0};
  const auto step =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(p) * (1 - overlap)));
  std::vector<std::int64_t> starts;
  for (std::int64_t i = 0;; ++i) {
    starts.push_back(std::min(i * step, n - p));
    if (i * step + p >= n) break;
  }
  return starts;
}

namespace {

// exp(-t^2 / (2 sigma^2)) along one axis, in f32 as MONAI computes it.
std::vector<float> gaussian(std::int64_t p, double sigma_scale) {
  const double sigma = sigma_scale * static_cast<double>(p);
  const auto divisor = static_cast<float>(-2 * sigma * sigma);
  std::vector<float> g(static_cast<std::size_t>(p));
  for (std::int64_t k = 0; k < p; ++k) {
    const auto t = static_cast<float>(-(static_cast<double>(p) - 1) / 2 + static_cast<double>(k));
    g[static_cast<std::size_t>(k)] = std::exp(t * t / divisor);
  }
  return g;
}

}  // namespace

std::vector<float> importance_map(Grid patch, double sigma_scale) {
  const std::vector<float> gd = gaussian(patch.d, sigma_scale), gh = gaussian(patch.h, sigma_scale),
                           gw = gaussian(patch.w, sigma_scale);
  std::vector<float> map;
  map.reserve(static_cast<std::size_t>(patch.d * patch.h * patch.w));
  for (const float a : gd)
    for (const float b : gh)
      for (const float c : gw) map.push_back(a * b * c);
  const float floor = std::max(*std::min_element(map.begin(), map.end()), 1e-3f);
  for (float& v : map) v = std::max(v, floor);
  return map;
}

namespace {

// The windows' voxels, gathered from (and their weighted probabilities added into) the padded
// volume.
struct WindowRun {
  const std::vector<float>& volume;
  Grid grid, patch, padded;
  AxisPadding pd, ph, pw;
  std::int64_t in_channels, classes;

  // The padded volume's value at (z, y, x) in channel c, 0 in the padding.
  float value(std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t c) const {
    z -= pd.before, y -= ph.before, x -= pw.before;
    if (z < 0 || z >= grid.d || y < 0 || y >= grid.h || x < 0 || x >= grid.w) return 0.0f;
    return volume[static_cast<std::size_t>(((z * grid.h + y) * grid.w + x) * in_channels + c)];
  }
  void gather(Grid s, float*& to) const {
    for (std::int64_t z = s.d; z < s.d + patch.d; ++z)
      for (std::int64_t y = s.h; y < s.h + patch.h; ++y)
        for (std::int64_t x = s.w; x < s.w + patch.w; ++x)
          for (std::int64_t c = 0; c < in_channels; ++c) *to++ = value(z, y, x, c);
  }
  // sums (padded grid, classes each) += weight * p, weights += weight, for the window at s.
  template <class S>
  void add(Grid s, const std::vector<float>& weight, const float*& p, S* sums,
           float* weights) const {
    const auto channels = static_cast<std::size_t>(classes);
    std::size_t i = 0;
    for (std::int64_t z = s.d; z < s.d + patch.d; ++z)
      for (std::int64_t y = s.h; y < s.h + patch.h; ++y)
        for (std::int64_t x = s.w; x < s.w + patch.w; ++x, ++i, p += channels) {
          const auto v = static_cast<std::size_t>((z * padded.h + y) * padded.w + x);
          S* sum = &sums[v * channels];  // f16 sums: each addition in f32, rounded once
          for (std::size_t c = 0; c < channels; ++c)
            store(&sum[c], load(&sum[c]) + weight[i] * p[c]);
          weights[v] += weight[i];
        }
  }
};

// The windows run over `sums` (the padded grid's, zeroed), then mean := sums / weights on the
// unpadded grid; `mean` may be `sums` itself where nothing is padded.
template <class S>
void weighted_mean(const WindowRun& r, double overlap, const WindowPredictor& predictor,
                   std::int64_t batch, S* sums, S* mean) {
  const std::vector<float> weight = importance_map(r.patch);
  std::vector<float> weights(static_cast<std::size_t>(r.padded.d * r.padded.h * r.padded.w), 0.0f);
  std::vector<Grid> starts;
  for (const std::int64_t z0 : window_starts(r.padded.d, r.patch.d, overlap))
    for (const std::int64_t y0 : window_starts(r.padded.h, r.patch.h, overlap))
      for (const std::int64_t x0 : window_starts(r.padded.w, r.patch.w, overlap))
        starts.push_back({z0, y0, x0});
  const std::size_t window_voxels = weight.size();
  const auto channels = static_cast<std::size_t>(r.classes);
  std::vector<float> windows, probabilities;
  for (std::size_t first = 0; first < starts.size(); first += static_cast<std::size_t>(batch)) {
    const std::size_t count = std::min(starts.size() - first, static_cast<std::size_t>(batch));
    windows.resize(count * window_voxels * static_cast<std::size_t>(r.in_channels));
    float* to = windows.data();
    for (std::size_t k = first; k < first + count; ++k) r.gather(starts[k], to);
    probabilities.assign(count * window_voxels * channels, 0.0f);
    predictor(windows, probabilities);
    UNET3D_CHECK(probabilities.size() == count * window_voxels * channels,
                 "sliding_window_mean: the predictor returned ", probabilities.size(),
                 " values for ", count, " windows of ", window_voxels, " voxels and ", r.classes,
                 " classes");
    const float* p = probabilities.data();
    for (std::size_t k = first; k < first + count; ++k)
      r.add(starts[k], weight, p, sums, weights.data());
  }
  std::size_t o = 0;
  for (std::int64_t z = 0; z < r.grid.d; ++z)
    for (std::int64_t y = 0; y < r.grid.h; ++y)
      for (std::int64_t x = 0; x < r.grid.w; ++x) {
        const auto v = static_cast<std::size_t>(
            ((z + r.pd.before) * r.padded.h + y + r.ph.before) * r.padded.w + x + r.pw.before);
        for (std::size_t c = 0; c < channels; ++c)
          store(&mean[o++], load(&sums[v * channels + c]) / weights[v]);
      }
}

template <class S>
void mean_into(const WindowRun& r, double overlap, const WindowPredictor& predictor,
               std::int64_t batch, S* mean) {
  const auto values = static_cast<std::size_t>(r.padded.d * r.padded.h * r.padded.w * r.classes);
  if (r.padded == r.grid) {  // the sums run in the result itself, the one volume of them
    std::fill(mean, mean + values, S{});
    return weighted_mean(r, overlap, predictor, batch, mean, mean);
  }
  std::vector<S> sums(values, S{});
  weighted_mean(r, overlap, predictor, batch, sums.data(), mean);
}

}  // namespace

void sliding_window_mean(const std::vector<float>& volume, Grid grid, Grid patch, double overlap,
                         const WindowPredictor& predictor, std::int64_t batch, Tensor& mean) {
  const std::int64_t grid_voxels = grid.d * grid.h * grid.w;
  const std::int64_t classes = mean.shape().c;
  UNET3D_USAGE_CHECK(grid_voxels > 0 && !volume.empty() &&
                         static_cast<std::int64_t>(volume.size()) % grid_voxels == 0,
                     "sliding_window_mean: ", volume.size(), " values for a grid of ", grid.str());
  UNET3D_USAGE_CHECK(classes >= 1 && batch >= 1, "sliding_window_mean: ", classes,
                     " classes, batch ", batch);
  const Shape expected{1, grid.d, grid.h, grid.w, classes};
  UNET3D_USAGE_CHECK(mean.device() == Device::cpu &&
                         (mean.dtype() == DType::f32 || mean.dtype() == DType::f16) &&
                         mean.shape() == expected,
                     "sliding_window_mean: the result ", mean.describe(), " is not [1, ",
                     grid.str(), ", C] f32 or f16 on the host");
  WindowRun r{volume,
              grid,
              patch,
              {},
              window_padding(grid.d, patch.d),
              window_padding(grid.h, patch.h),
              window_padding(grid.w, patch.w),
              static_cast<std::int64_t>(volume.size()) / grid_voxels,
              classes};
  r.padded = {grid.d + r.pd.before + r.pd.after, grid.h + r.ph.before + r.ph.after,
              grid.w + r.pw.before + r.pw.after};
  if (mean.dtype() == DType::f16)
    return mean_into(r, overlap, predictor, batch, mean.data_as<Half>());
  mean_into(r, overlap, predictor, batch, mean.data_as<float>());
}

std::vector<float> sliding_window_mean(const std::vector<float>& volume, Grid grid, Grid patch,
                                       std::int64_t classes, double overlap,
                                       const WindowPredictor& predictor, std::int64_t batch) {
  UNET3D_USAGE_CHECK(classes >= 1 && grid.d > 0 && grid.h > 0 && grid.w > 0,
                     "sliding_window_mean: ", classes, " classes on a grid of ", grid.str());
  std::vector<float> mean(static_cast<std::size_t>(grid.d * grid.h * grid.w * classes));
  Tensor out =
      Tensor::view(mean.data(), {1, grid.d, grid.h, grid.w, classes}, DType::f32, Device::cpu);
  sliding_window_mean(volume, grid, patch, overlap, predictor, batch, out);
  return mean;
}

}  // namespace unet3d
