// Patch mode's planning: resampled grids, default spacing and patch, patch placement, and the
// user's x,y,z triples.
#include "io/patch_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/error.h"

namespace unet3d {
namespace {

std::vector<double> positive_numbers(const std::string& xyz, const std::string& what) {
  std::vector<double> out;
  std::istringstream in(xyz);
  for (std::string part; std::getline(in, part, ',');) {
    std::istringstream one(part);
    double v = 0;
    if (!(one >> v) || !one.eof() || !(v > 0) || !std::isfinite(v))
      throw Error(ErrorKind::usage, concat(what, ": '", xyz, "' is not X,Y,Z of positive numbers"));
    out.push_back(v);
  }
  if (out.size() == 1) out = {out[0], out[0], out[0]};
  if (out.size() != 3)
    throw Error(ErrorKind::usage, concat(what, ": '", xyz, "' is not X,Y,Z (1 or 3 values)"));
  return out;
}

std::int64_t& side(Grid& g, int axis) {
  return axis == 0 ? g.d : axis == 1 ? g.h : g.w;
}
std::int64_t side(const Grid& g, int axis) {
  return axis == 0 ? g.d : axis == 1 ? g.h : g.w;
}

template <class T>
double median(std::vector<T> v) {
  UNET3D_USAGE_CHECK(!v.empty(), "median of no values");
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? static_cast<double>(v[m])
                           : (static_cast<double>(v[m - 1]) + static_cast<double>(v[m])) / 2;
}

// Padding before an axis of n voxels up to a patch of p (as window_padding).
std::int64_t pad_before(std::int64_t n, std::int64_t p) {
  return std::max<std::int64_t>(p - n, 0) / 2;
}

}  // namespace

Grid resampled_grid(Grid grid, const Spacing& spacing, const Spacing& target) {
  Grid out{};
  for (int a = 0; a < 3; ++a) {
    UNET3D_USAGE_CHECK(spacing[a] > 0 && target[a] > 0, "resampled_grid: spacing ", spacing[a],
                       " mm to ", target[a], " mm along axis ", a);
    const double n = static_cast<double>(side(grid, a)) * spacing[a] / target[a];
    side(out, a) = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(n + 0.5)));
  }
  return out;
}

Spacing median_spacing(const std::vector<Spacing>& spacings) {
  Spacing out{};
  for (int a = 0; a < 3; ++a) {
    std::vector<double> axis;
    for (const Spacing& s : spacings) axis.push_back(s[a]);
    out[a] = median(axis);
  }
  return out;
}

Grid default_patch(const std::vector<Grid>& resampled, Grid multiple, std::int64_t size) {
  Grid patch{};
  for (int a = 0; a < 3; ++a) {
    std::vector<std::int64_t> axis;
    for (const Grid& g : resampled) axis.push_back(side(g, a));
    const auto m = static_cast<std::int64_t>(std::floor(median(axis)));
    const std::int64_t f = side(multiple, a);
    side(patch, a) = std::max(f, m / f * f);
  }
  while (patch.voxels() > size * size * size) {
    int largest = -1;  // the largest side that can still shrink
    for (int a = 0; a < 3; ++a)
      if (side(patch, a) > side(multiple, a) &&
          (largest < 0 || side(patch, a) > side(patch, largest)))
        largest = a;
    if (largest < 0) break;  // every side at its multiple: nothing left to shrink
    side(patch, largest) -= side(multiple, largest);
  }
  return patch;
}

std::vector<PatchCut> draw_patches(Rng& rng, std::int64_t batch,
                                   const std::vector<LabelledVolume>& cases, Grid patch,
                                   int classes) {
  UNET3D_USAGE_CHECK(batch >= 1 && !cases.empty() && classes >= 2, "draw_patches: batch ", batch,
                     ", ", cases.size(), " cases, ", classes, " classes");
  const std::int64_t centred = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::lround(static_cast<double>(batch) / 3)));
  std::vector<PatchCut> cuts;
  for (std::int64_t i = 0; i < batch; ++i) {
    const auto index = static_cast<std::int64_t>(rng.below(cases.size()));
    const LabelledVolume& v = cases[static_cast<std::size_t>(index)];
    const std::int64_t voxels = v.grid.voxels();
    PatchCut cut{index, {}, -1};
    if (i >= batch - centred) {
      std::vector<std::int64_t> count(static_cast<std::size_t>(classes), 0);
      for (std::int64_t k = 0; k < voxels; ++k)
        if (v.labels[k] < classes) ++count[v.labels[k]];
      std::vector<int> present;
      for (int c = 1; c < classes; ++c)
        if (count[static_cast<std::size_t>(c)] > 0) present.push_back(c);
      if (!present.empty()) {
        const int c = present[rng.below(present.size())];
        std::int64_t nth = static_cast<std::int64_t>(rng.below(count[static_cast<std::size_t>(c)]));
        std::int64_t at = 0;
        for (; at < voxels; ++at)
          if (v.labels[at] == c && nth-- == 0) break;
        const Grid centre{at / (v.grid.h * v.grid.w), at / v.grid.w % v.grid.h, at % v.grid.w};
        for (int a = 0; a < 3; ++a) {
          const std::int64_t n = side(v.grid, a), p = side(patch, a);
          const std::int64_t padded = std::max(n, p);
          side(cut.start, a) =
              std::clamp(side(centre, a) + pad_before(n, p) - p / 2, std::int64_t{0}, padded - p);
        }
        cut.centre_class = c;
        cuts.push_back(cut);
        continue;
      }
    }
    for (int a = 0; a < 3; ++a) {
      const std::int64_t room = std::max(side(v.grid, a), side(patch, a)) - side(patch, a);
      side(cut.start, a) =
          static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(room + 1)));
    }
    cuts.push_back(cut);
  }
  return cuts;
}

Grid patch_origin(Grid grid, const PatchCut& cut, Grid patch) {
  return {cut.start.d - pad_before(grid.d, patch.d), cut.start.h - pad_before(grid.h, patch.h),
          cut.start.w - pad_before(grid.w, patch.w)};
}

void cut_patch(const LabelledVolume& v, const float* image, std::int64_t channels,
               const PatchCut& cut, Grid patch, float* image_out, std::uint8_t* labels_out) {
  cut_region(v, image, channels, patch_origin(v.grid, cut, patch), patch, image_out, labels_out);
}

void cut_region(const LabelledVolume& v, const float* image, std::int64_t channels, Grid origin,
                Grid size, float* image_out, std::uint8_t* labels_out) {
  const Grid g = v.grid;
  const auto C = static_cast<std::size_t>(channels);
  std::size_t o = 0;
  for (std::int64_t z = origin.d; z < origin.d + size.d; ++z)
    for (std::int64_t y = origin.h; y < origin.h + size.h; ++y)
      for (std::int64_t x = origin.w; x < origin.w + size.w; ++x, ++o) {
        const bool inside = z >= 0 && z < g.d && y >= 0 && y < g.h && x >= 0 && x < g.w;
        const auto at = static_cast<std::size_t>((z * g.h + y) * g.w + x);
        for (std::size_t c = 0; c < C; ++c)
          image_out[o * C + c] = inside ? image[at * C + c] : 0.0f;
        labels_out[o] = inside ? v.labels[at] : 0;
      }
}

std::string xyz_text(const Spacing& zyx) {
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%.17g,%.17g,%.17g", zyx[2], zyx[1], zyx[0]);
  return buffer;
}

std::string xyz_text(Grid zyx) {
  return concat(zyx.w, ",", zyx.h, ",", zyx.d);
}

Spacing spacing_of_xyz(const std::string& xyz, const std::string& what) {
  const std::vector<double> v = positive_numbers(xyz, what);
  return {v[2], v[1], v[0]};
}

Grid grid_of_xyz(const std::string& xyz, const std::string& what) {
  const std::vector<double> v = positive_numbers(xyz, what);
  for (const double side : v)
    if (side != std::floor(side) || side > (1 << 16))
      throw Error(ErrorKind::usage,
                  concat(what, ": '", xyz, "' is not X,Y,Z of positive integers"));
  return {static_cast<std::int64_t>(v[2]), static_cast<std::int64_t>(v[1]),
          static_cast<std::int64_t>(v[0])};
}

}  // namespace unet3d
