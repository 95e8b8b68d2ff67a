// Sliding-window inference: window placement, the Gaussian weights and the weighted mean.
#include "layers/sliding_window.h"

#include <algorithm>
#include <cmath>

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

std::vector<float> sliding_window_mean(const std::vector<float>& volume, Grid grid, Grid patch,
                                       std::int64_t classes, double overlap,
                                       const WindowPredictor& predictor, std::int64_t batch) {
  const std::int64_t grid_voxels = grid.d * grid.h * grid.w;
  UNET3D_USAGE_CHECK(grid_voxels > 0 && !volume.empty() &&
                         static_cast<std::int64_t>(volume.size()) % grid_voxels == 0,
                     "sliding_window_mean: ", volume.size(), " values for a grid of ", grid.str());
  const auto in_channels = static_cast<std::int64_t>(volume.size()) / grid_voxels;
  UNET3D_USAGE_CHECK(classes >= 1 && batch >= 1, "sliding_window_mean: ", classes,
                     " classes, batch ", batch);
  const AxisPadding pd = window_padding(grid.d, patch.d), ph = window_padding(grid.h, patch.h),
                    pw = window_padding(grid.w, patch.w);
  const Grid padded{grid.d + pd.before + pd.after, grid.h + ph.before + ph.after,
                    grid.w + pw.before + pw.after};
  const std::vector<float> weight = importance_map(patch);
  const auto voxels = static_cast<std::size_t>(padded.d * padded.h * padded.w);
  const auto channels = static_cast<std::size_t>(classes);
  std::vector<float> sums(voxels * channels, 0.0f), weights(voxels, 0.0f);
  // The padded volume's value at (z, y, x) in channel c, 0 in the padding.
  const auto value = [&](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t c) {
    z -= pd.before, y -= ph.before, x -= pw.before;
    if (z < 0 || z >= grid.d || y < 0 || y >= grid.h || x < 0 || x >= grid.w) return 0.0f;
    return volume[static_cast<std::size_t>(((z * grid.h + y) * grid.w + x) * in_channels + c)];
  };
  std::vector<Grid> starts;
  for (const std::int64_t z0 : window_starts(padded.d, patch.d, overlap))
    for (const std::int64_t y0 : window_starts(padded.h, patch.h, overlap))
      for (const std::int64_t x0 : window_starts(padded.w, patch.w, overlap))
        starts.push_back({z0, y0, x0});
  const std::size_t window_voxels = weight.size();
  std::vector<float> windows, probabilities;
  for (std::size_t first = 0; first < starts.size(); first += static_cast<std::size_t>(batch)) {
    const std::size_t count = std::min(starts.size() - first, static_cast<std::size_t>(batch));
    windows.resize(count * window_voxels * static_cast<std::size_t>(in_channels));
    std::size_t i = 0;
    for (std::size_t k = first; k < first + count; ++k) {
      const Grid s = starts[k];
      for (std::int64_t z = s.d; z < s.d + patch.d; ++z)
        for (std::int64_t y = s.h; y < s.h + patch.h; ++y)
          for (std::int64_t x = s.w; x < s.w + patch.w; ++x)
            for (std::int64_t c = 0; c < in_channels; ++c) windows[i++] = value(z, y, x, c);
    }
    probabilities.assign(count * window_voxels * channels, 0.0f);
    predictor(windows, probabilities);
    UNET3D_CHECK(probabilities.size() == count * window_voxels * channels,
                 "sliding_window_mean: the predictor returned ", probabilities.size(),
                 " values for ", count, " windows of ", window_voxels, " voxels and ", classes,
                 " classes");
    const float* p = probabilities.data();
    for (std::size_t k = first; k < first + count; ++k) {
      const Grid s = starts[k];
      i = 0;
      for (std::int64_t z = s.d; z < s.d + patch.d; ++z)
        for (std::int64_t y = s.h; y < s.h + patch.h; ++y)
          for (std::int64_t x = s.w; x < s.w + patch.w; ++x, ++i, p += channels) {
            const auto v = static_cast<std::size_t>((z * padded.h + y) * padded.w + x);
            float* sum = &sums[v * channels];
            for (std::size_t c = 0; c < channels; ++c) sum[c] += weight[i] * p[c];
            weights[v] += weight[i];
          }
    }
  }
  std::vector<float> mean(static_cast<std::size_t>(grid.d * grid.h * grid.w * classes));
  std::size_t o = 0;
  for (std::int64_t z = 0; z < grid.d; ++z)
    for (std::int64_t y = 0; y < grid.h; ++y)
      for (std::int64_t x = 0; x < grid.w; ++x) {
        const auto v = static_cast<std::size_t>(
            ((z + pd.before) * padded.h + y + ph.before) * padded.w + x + pw.before);
        for (std::int64_t c = 0; c < classes; ++c)
          mean[o++] = sums[v * static_cast<std::size_t>(classes) + static_cast<std::size_t>(c)] /
                      weights[v];
      }
  return mean;
}

}  // namespace unet3d
