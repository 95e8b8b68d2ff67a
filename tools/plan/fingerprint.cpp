// A dataset's fingerprint.
#include "tools/plan/fingerprint.h"

#include <algorithm>
#include <cmath>

#include "io/json.h"
#include "io/resampled.h"
#include "runtime/error.h"

namespace unet3d {

double percentile(std::vector<double> values, double q) {
  UNET3D_CHECK(!values.empty(), "a percentile of no values");
  std::sort(values.begin(), values.end());
  const double rank = q / 100 * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(rank));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (rank - static_cast<double>(below)) * (values[above] - values[below]);
}

IntensityStats intensity_stats(const std::vector<float>& values) {
  IntensityStats s;
  s.samples = static_cast<std::int64_t>(values.size());
  if (values.empty()) return s;
  const std::vector<double> v(values.begin(), values.end());
  double total = 0;
  for (const double x : v) total += x;
  s.mean = total / static_cast<double>(v.size());
  double squares = 0;
  for (const double x : v) squares += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(squares / static_cast<double>(v.size()));
  s.p00_5 = percentile(v, 0.5);
  s.p99_5 = percentile(v, 99.5);
  return s;
}

Fingerprint fingerprint_cases(std::size_t count, const std::function<LoadedCase(std::size_t)>& load,
                              int classes, const std::vector<std::string>& channel_names) {
  UNET3D_USAGE_CHECK(count > 0, "the plan needs at least one training case");
  Fingerprint f;
  f.channel_names = channel_names;
  std::vector<std::int64_t> voxels_of(256, 0), cases_of(256, 0);
  std::vector<std::vector<float>> samples;
  for (std::size_t i = 0; i < count; ++i) {
    const LoadedCase c = load(i);
    const NiftiGeometry& g = c.image.geometry;
    f.shapes.push_back({g.nz, g.ny, g.nx});
    f.spacings.push_back(spacing_of(g));
    const std::int64_t voxels = g.voxels();
    samples.resize(static_cast<std::size_t>(c.image.channels));
    std::vector<std::int64_t> present(256, 0);
    std::int64_t foreground = 0;
    for (const std::uint8_t label : c.labels) {
      ++present[label];
      foreground += label > 0;
    }
    for (std::size_t k = 0; k < present.size(); ++k) {
      voxels_of[k] += present[k];
      cases_of[k] += present[k] > 0;
    }
    const std::int64_t stride = std::max<std::int64_t>(
        1, (foreground + kForegroundSamplesPerCase - 1) / kForegroundSamplesPerCase);
    for (std::int64_t ch = 0; ch < c.image.channels; ++ch) {
      const float* values = c.image.values.data() + ch * voxels;
      std::int64_t seen = 0;
      for (std::int64_t v = 0; v < voxels; ++v)
        if (c.labels[static_cast<std::size_t>(v)] > 0 && seen++ % stride == 0)
          samples[static_cast<std::size_t>(ch)].push_back(values[v]);
    }
  }
  // `classes` of them, or up to the largest label found (at least 2).
  std::size_t kept = classes > 0 ? static_cast<std::size_t>(classes) : 2;
  for (std::size_t k = 0; k < voxels_of.size(); ++k)
    if (voxels_of[k] > 0 && classes <= 0) kept = std::max(kept, k + 1);
  f.class_voxels.assign(voxels_of.begin(), voxels_of.begin() + static_cast<std::ptrdiff_t>(kept));
  f.class_cases.assign(cases_of.begin(), cases_of.begin() + static_cast<std::ptrdiff_t>(kept));
  for (const std::vector<float>& s : samples) f.intensities.push_back(intensity_stats(s));
  return f;
}

std::string fingerprint_json(const Fingerprint& f, const std::string& indent) {
  const std::string in = indent + "  ";
  std::string shapes, spacings;
  for (std::size_t i = 0; i < f.shapes.size(); ++i) {
    shapes += concat(i ? ", " : "", json::quote(xyz_text(f.shapes[i])));
    spacings += concat(i ? ", " : "", json::quote(xyz_text(f.spacings[i])));
  }
  std::string channels;
  for (std::size_t c = 0; c < f.intensities.size(); ++c) {
    const IntensityStats& s = f.intensities[c];
    const std::string name = c < f.channel_names.size() ? f.channel_names[c] : "";
    channels += concat(c ? ",\n" : "", in, "  {\"name\": ", json::quote(name),
                       ", \"mean\": ", json::number(s.mean), ", \"std\": ", json::number(s.std),
                       ", \"percentile_00_5\": ", json::number(s.p00_5),
                       ", \"percentile_99_5\": ", json::number(s.p99_5),
                       ", \"foreground_samples\": ", s.samples, "}");
  }
  std::string voxels, cases;
  for (std::size_t k = 0; k < f.class_voxels.size(); ++k) {
    voxels += concat(k ? ", " : "", f.class_voxels[k]);
    cases += concat(k ? ", " : "", f.class_cases[k]);
  }
  return concat("{\n", in, "\"cases\": ", f.shapes.size(), ",\n", in, "\"shapes\": [", shapes,
                "],\n", in, "\"spacings\": [", spacings, "],\n", in, "\"channels\": [\n", channels,
                "\n", in, "],\n", in, "\"class_voxels\": [", voxels, "],\n", in,
                "\"class_cases\": [", cases, "]\n", indent, "}");
}

}  // namespace unet3d
