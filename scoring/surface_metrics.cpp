// The distance transform, surfaces, percentiles and the per-class surface scores.
#include "scoring/surface_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace unet3d {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// One line of the separable transform, in place: f[i] := min_j (f[j] + (i - j)^2 s2) over the n
// values spaced `stride` apart (Felzenszwalb and Huttenlocher, "Distance Transforms of Sampled
// Functions", 2012). v, z are scratch of n and n + 1.
void envelope_line(double* f, std::int64_t n, std::int64_t stride, double s2, double* line,
                   std::int64_t* v, double* z) {
  for (std::int64_t i = 0; i < n; ++i) line[i] = f[i * stride];
  std::int64_t k = -1;  // parabolas in the envelope: v[0..k]
  for (std::int64_t q = 0; q < n; ++q) {
    if (line[q] == kInf) continue;
    double s = 0;
    while (k >= 0) {
      const std::int64_t p = v[k];
      // Where the parabola from q overtakes the one from p.
      s = ((line[q] + s2 * static_cast<double>(q * q)) -
           (line[p] + s2 * static_cast<double>(p * p))) /
          (2 * s2 * static_cast<double>(q - p));
      if (s > z[k]) break;
      --k;
    }
    ++k;
    v[k] = q;
    z[k] = k == 0 ? -kInf : s;
    z[k + 1] = kInf;
  }
  if (k < 0) return;  // no feature on this line: it stays infinite
  std::int64_t j = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    while (z[j + 1] < static_cast<double>(i)) ++j;
    const double d = static_cast<double>(i - v[j]);
    f[i * stride] = d * d * s2 + line[v[j]];
  }
}

// The transform along one axis of every line of `f` ([nz][ny][nx]).
void envelope_axis(std::vector<double>& f, const Grid3& g, int axis) {
  const std::int64_t n = axis == 0 ? g.nx : axis == 1 ? g.ny : g.nz;
  const std::int64_t stride = axis == 0 ? 1 : axis == 1 ? g.nx : g.nx * g.ny;
  const double s = axis == 0 ? g.sx : axis == 1 ? g.sy : g.sz;
  const std::int64_t lines = g.voxels() / n;
#pragma omp parallel
  {
    std::vector<double> line(static_cast<std::size_t>(n)), z(static_cast<std::size_t>(n + 1));
    std::vector<std::int64_t> v(static_cast<std::size_t>(n));
#pragma omp for schedule(static)
    for (std::int64_t l = 0; l < lines; ++l) {
      // The first element of line l: lines run over the other two axes in memory order.
      std::int64_t first;
      if (axis == 0)
        first = l * g.nx;
      else if (axis == 1)
        first = (l / g.nx) * g.nx * g.ny + l % g.nx;
      else
        first = l;
      envelope_line(f.data() + first, n, stride, s * s, line.data(), v.data(), z.data());
    }
  }
}

}  // namespace

std::vector<double> squared_distance_to(const std::vector<std::uint8_t>& features, const Grid3& g) {
  std::vector<double> f(features.size());
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = features[i] ? 0.0 : kInf;
  for (int axis = 0; axis < 3; ++axis) envelope_axis(f, g, axis);
  return f;
}

std::vector<std::uint8_t> surface_of(const std::vector<std::uint8_t>& mask, const Grid3& g) {
  std::vector<std::uint8_t> surface(mask.size(), 0);
  const auto at = [&](std::int64_t x, std::int64_t y, std::int64_t z) {
    return x >= 0 && y >= 0 && z >= 0 && x < g.nx && y < g.ny && z < g.nz &&
           mask[static_cast<std::size_t>((z * g.ny + y) * g.nx + x)] != 0;
  };
#pragma omp parallel for schedule(static)
  for (std::int64_t z = 0; z < g.nz; ++z)
    for (std::int64_t y = 0; y < g.ny; ++y)
      for (std::int64_t x = 0; x < g.nx; ++x) {
        const auto i = static_cast<std::size_t>((z * g.ny + y) * g.nx + x);
        if (mask[i] == 0) continue;
        surface[i] = !(at(x - 1, y, z) && at(x + 1, y, z) && at(x, y - 1, z) && at(x, y + 1, z) &&
                       at(x, y, z - 1) && at(x, y, z + 1));
      }
  return surface;
}

double percentile(std::vector<double>& values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double rank = q / 100 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (rank - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

ClassSurfaceScores class_surface_scores(const std::uint8_t* pred, const std::uint8_t* truth,
                                        const Grid3& g, int c, double tolerance_mm) {
  ClassSurfaceScores s;
  // The bounding box of both masks, and the voxel counts.
  std::int64_t lo[3] = {g.nx, g.ny, g.nz}, hi[3] = {-1, -1, -1}, in_pred = 0, in_truth = 0;
  for (std::int64_t z = 0; z < g.nz; ++z)
    for (std::int64_t y = 0; y < g.ny; ++y)
      for (std::int64_t x = 0; x < g.nx; ++x) {
        const std::int64_t i = (z * g.ny + y) * g.nx + x;
        const bool p = pred[i] == c, t = truth[i] == c;
        in_pred += p, in_truth += t;
        if (!p && !t) continue;
        const std::int64_t k[3] = {x, y, z};
        for (int a = 0; a < 3; ++a) lo[a] = std::min(lo[a], k[a]), hi[a] = std::max(hi[a], k[a]);
      }
  const double voxel_ml = g.sx * g.sy * g.sz / 1000;
  s.volume_pred_ml = static_cast<double>(in_pred) * voxel_ml;
  s.volume_true_ml = static_cast<double>(in_truth) * voxel_ml;
  if (in_pred == 0 && in_truth == 0) {
    s.absent = true;
    return s;
  }
  if (in_pred == 0 || in_truth == 0) {
    s.hd95 = s.assd = kInf;
    return s;
  }
  Grid3 box = g;
  box.nx = hi[0] - lo[0] + 1, box.ny = hi[1] - lo[1] + 1, box.nz = hi[2] - lo[2] + 1;
  std::vector<std::uint8_t> p(static_cast<std::size_t>(box.voxels())), t(p.size());
  for (std::int64_t z = 0; z < box.nz; ++z)
    for (std::int64_t y = 0; y < box.ny; ++y)
      for (std::int64_t x = 0; x < box.nx; ++x) {
        const std::int64_t from = ((z + lo[2]) * g.ny + y + lo[1]) * g.nx + x + lo[0];
        const auto to = static_cast<std::size_t>((z * box.ny + y) * box.nx + x);
        p[to] = pred[from] == c, t[to] = truth[from] == c;
      }
  // Voxels beyond the box are outside both masks, as beyond the grid's edge: the surfaces are
  // those of the whole grid.
  const std::vector<std::uint8_t> sp = surface_of(p, box), st = surface_of(t, box);
  // Each side's surface distances, in voxel order, packed into the front of the distance map
  // they were read from (a voxel's slot is never before its index): no array of their own.
  std::vector<double> pred_side = squared_distance_to(st, box),
                      truth_side = squared_distance_to(sp, box);
  std::size_t pred_count = 0, truth_count = 0;
  for (std::size_t i = 0; i < sp.size(); ++i) {
    if (sp[i]) pred_side[pred_count++] = std::sqrt(pred_side[i]);
    if (st[i]) truth_side[truth_count++] = std::sqrt(truth_side[i]);
  }
  pred_side.resize(pred_count);
  truth_side.resize(truth_count);
  double sum = 0;
  std::int64_t within = 0;
  for (const double d : pred_side) sum += d, within += d <= tolerance_mm;
  for (const double d : truth_side) sum += d, within += d <= tolerance_mm;
  const auto surface_voxels = static_cast<double>(pred_side.size() + truth_side.size());
  s.assd = sum / surface_voxels;
  s.nsd = static_cast<double>(within) / surface_voxels;
  s.hd95 = std::max(percentile(pred_side, 95), percentile(truth_side, 95));
  return s;
}

}  // namespace unet3d
