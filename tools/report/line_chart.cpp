// The line chart (line_chart.h): the axes and their ranges, the lines, the markers and the
// legend, each drawn by a function of its own.
#include "tools/report/line_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace unet3d {
namespace {

// The widest group of markers set side by side (below) spans 70 pixels and a marker, 40 on
// either side of its x.
constexpr int kWidth = 960, kHeight = 560, kLeft = 90, kRight = 700, kTop = 60, kBottom = 480;
constexpr int kMargin = 12, kLegend = kRight + 50, kLegendText = kLegend + 32;
// The first and last x lie kPad inside the axes: markers set side by side there stay clear of
// the y axis's numbers and of the legend.
constexpr int kPad = 40;

// The values' ranges and their pixels.
struct Frame {
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  int px(double x) const {
    return kLeft + kPad +
           static_cast<int>((x - x_min) / (x_max - x_min) * (kRight - kLeft - 2 * kPad));
  }
  int py(double y) const {
    return kBottom - static_cast<int>((y - y_min) / (y_max - y_min) * (kBottom - kTop));
  }
};

Frame frame_of(const std::vector<Series>& series, bool unit_range) {
  Frame f;
  if (unit_range) f.y_min = 0, f.y_max = 1;
  for (const Series& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (std::isnan(s.y[i])) continue;
      f.x_min = std::min(f.x_min, s.x[i]), f.x_max = std::max(f.x_max, s.x[i]);
      if (!unit_range) f.y_min = std::min(f.y_min, s.y[i]), f.y_max = std::max(f.y_max, s.y[i]);
    }
  if (!std::isfinite(f.x_min)) f.x_min = 0, f.x_max = 1;
  if (f.x_max == f.x_min) f.x_min -= 1, f.x_max += 1;
  if (!std::isfinite(f.y_min)) f.y_min = 0, f.y_max = 1;
  if (!unit_range) {
    const double pad = std::max((f.y_max - f.y_min) * 0.05, 1e-3);
    f.y_min = std::max(0.0, f.y_min - pad), f.y_max += pad;
  }
  return f;
}

void draw_axes(Canvas& c, const Frame& f, const std::string& title, const std::string& x_label,
               const std::string& y_label) {
  // The title large where it fits in one line, else smaller and wrapped: never cut.
  if (Canvas::text_width(title, 3) <= kWidth - 2 * kMargin)
    c.text((kWidth - Canvas::text_width(title, 3)) / 2, 14, title, kText, 3);
  else
    c.paragraph(kMargin, 8, kWidth - 2 * kMargin, title, kText, 2);
  for (int t = 0; t <= 5; ++t) {  // y ticks and grid
    const double v = f.y_min + (f.y_max - f.y_min) * t / 5;
    c.line(kLeft, f.py(v), kRight, f.py(v), kGrid);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f", v);
    c.text(kLeft - 10 - Canvas::text_width(buffer), f.py(v) - 7, buffer, kText);
  }
  // x ticks at whole epochs, at most about ten of them
  const double x_step = std::max(1.0, std::ceil((f.x_max - f.x_min) / 10));
  for (double v = std::ceil(f.x_min); v <= f.x_max + 1e-9; v += x_step) {
    c.line(f.px(v), kBottom, f.px(v), kBottom + 6, kBlack);
    const std::string label = std::to_string(std::lround(v));
    c.text(f.px(v) - Canvas::text_width(label) / 2, kBottom + 12, label, kText);
  }
  c.line(kLeft, kTop, kLeft, kBottom, kBlack, 2);
  c.line(kLeft, kBottom, kRight, kBottom, kBlack, 2);
  c.text((kLeft + kRight - Canvas::text_width(x_label)) / 2, kBottom + 40, x_label, kText);
  c.text(kLeft - 60, kTop - 30, y_label, kText);
}

// Markers of one x whose heights overlap (all series at 0, say) are set side by side, centred
// on the x, in the series' order; the step shrinks where epochs lie close together.
void draw_markers(Canvas& c, const Frame& f, const std::vector<Series>& series,
                  std::size_t points) {
  const int spacing =
      (kRight - kLeft - 2 * kPad) / static_cast<int>(std::max<std::size_t>(points, 2) - 1);
  for (std::size_t i = 0; i < points; ++i) {
    std::vector<std::pair<int, std::size_t>> at;  // (y pixel, series) of the values at i
    for (std::size_t k = 0; k < series.size(); ++k)
      if (i < series[k].x.size() && !std::isnan(series[k].y[i]))
        at.emplace_back(f.py(series[k].y[i]), k);
    std::sort(at.begin(), at.end());
    for (std::size_t first = 0, last = 0; first < at.size(); first = last) {
      for (last = first + 1; last < at.size() && at[last].first - at[last - 1].first < 10;) ++last;
      std::sort(at.begin() + first, at.begin() + last,
                [](const auto& p, const auto& q) { return p.second < q.second; });
      const int m = static_cast<int>(last - first);
      // At most 10 pixels apart and 70 from first to last (the legend's clearance).
      const int step = std::min({std::max(spacing / m, 2), 10, 70 / std::max(m - 1, 1)});
      for (int j = 0; j < m; ++j) {
        const std::size_t k = at[first + static_cast<std::size_t>(j)].second;
        const int x = f.px(series[k].x[i]) + (2 * j - (m - 1)) * step / 2;
        c.marker(x, f.py(series[k].y[i]), static_cast<int>(k), series[k].color);
      }
    }
  }
}

// Each series' marker and colour, its name wrapped to the canvas.
void draw_legend(Canvas& c, const std::vector<Series>& series) {
  int ly = kTop + 10;
  for (std::size_t k = 0; k < series.size(); ++k) {
    c.rect(kLegend, ly + 5, 24, 3, series[k].color);
    c.marker(kLegend + 12, ly + 6, static_cast<int>(k), series[k].color);
    ly += c.paragraph(kLegendText, ly, kWidth - kMargin - kLegendText, series[k].name, kText) *
              Canvas::line_height() +
          8;
  }
}

}  // namespace

void line_chart(const std::filesystem::path& path, const std::string& title,
                const std::string& x_label, const std::string& y_label,
                const std::vector<Series>& series, bool unit_range) {
  Canvas c(kWidth, kHeight, kWhite);
  const Frame f = frame_of(series, unit_range);
  draw_axes(c, f, title, x_label, y_label);
  // Every line first, then every marker over them: a line never hides a marker.
  std::size_t points = 0;
  for (const Series& s : series) {
    points = std::max(points, s.x.size());
    for (std::size_t i = 1; i < s.x.size(); ++i)
      if (!std::isnan(s.y[i]) && !std::isnan(s.y[i - 1]))
        c.line(f.px(s.x[i - 1]), f.py(s.y[i - 1]), f.px(s.x[i]), f.py(s.y[i]), s.color, 3);
  }
  draw_markers(c, f, series, points);
  draw_legend(c, series);
  c.save_png(path.string());
}

}  // namespace unet3d
