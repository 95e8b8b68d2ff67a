// Training curves and test visualisations, drawn on the canvas.
#include "tools/pictures.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "runtime/error.h"
#include "tools/canvas.h"

namespace unet3d {
namespace fs = std::filesystem;
namespace {

constexpr Color kWhite{255, 255, 255}, kBlack{0, 0, 0}, kGrid{225, 225, 225}, kText{40, 40, 40};
constexpr Color kPalette[] = {{31, 119, 180},  {255, 127, 14}, {44, 160, 44},   {214, 39, 40},
                              {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127}};
// Overlay colours by label (0, background, is not drawn).
constexpr Color kLabelColors[] = {{0, 0, 0},      {90, 200, 90},  {240, 230, 80},
                                  {70, 130, 255}, {240, 120, 40}, {240, 40, 200}};

struct Series {
  std::string name;
  std::vector<double> x, y;  // NaN y: no value at that x
  Color color;
};

std::string number_text(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, std::abs(v) >= 10 || v == std::floor(v) ? "%.0f" : "%.2f",
                v);
  return buffer;
}

void line_chart(const fs::path& path, const std::string& title, const std::string& x_label,
                const std::string& y_label, const std::vector<Series>& series, bool unit_range) {
  constexpr int kWidth = 960, kHeight = 560, kLeft = 90, kRight = 720, kTop = 60, kBottom = 480;
  Canvas c(kWidth, kHeight, kWhite);
  double x_min = INFINITY, x_max = -INFINITY, y_min = unit_range ? 0 : INFINITY,
         y_max = unit_range ? 1 : -INFINITY;
  for (const Series& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (std::isnan(s.y[i])) continue;
      x_min = std::min(x_min, s.x[i]), x_max = std::max(x_max, s.x[i]);
      if (!unit_range) y_min = std::min(y_min, s.y[i]), y_max = std::max(y_max, s.y[i]);
    }
  if (!std::isfinite(x_min)) x_min = 0, x_max = 1;
  if (x_max == x_min) x_min -= 1, x_max += 1;
  if (!std::isfinite(y_min)) y_min = 0, y_max = 1;
  if (!unit_range) {
    const double pad = std::max((y_max - y_min) * 0.05, 1e-3);
    y_min = std::max(0.0, y_min - pad), y_max += pad;
  }
  const auto px = [&](double x) {
    return kLeft + static_cast<int>((x - x_min) / (x_max - x_min) * (kRight - kLeft));
  };
  const auto py = [&](double y) {
    return kBottom - static_cast<int>((y - y_min) / (y_max - y_min) * (kBottom - kTop));
  };

  c.text((kWidth - Canvas::text_width(title, 3)) / 2, 14, title, kText, 3);
  for (int t = 0; t <= 5; ++t) {  // y ticks and grid
    const double v = y_min + (y_max - y_min) * t / 5;
    c.line(kLeft, py(v), kRight, py(v), kGrid);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f", v);
    c.text(kLeft - 10 - Canvas::text_width(buffer), py(v) - 7, buffer, kText);
  }
  // x ticks at whole epochs, at most about ten of them
  const double x_step = std::max(1.0, std::ceil((x_max - x_min) / 10));
  for (double v = std::ceil(x_min); v <= x_max + 1e-9; v += x_step) {
    c.line(px(v), kBottom, px(v), kBottom + 6, kBlack);
    const std::string label = number_text(std::round(v));
    c.text(px(v) - Canvas::text_width(label) / 2, kBottom + 12, label, kText);
  }
  c.line(kLeft, kTop, kLeft, kBottom, kBlack, 2);
  c.line(kLeft, kBottom, kRight, kBottom, kBlack, 2);
  c.text((kLeft + kRight - Canvas::text_width(x_label)) / 2, kBottom + 40, x_label, kText);
  c.text(kLeft - 60, kTop - 30, y_label, kText);
  for (std::size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (std::isnan(s.y[i])) continue;
      c.rect(px(s.x[i]) - 3, py(s.y[i]) - 3, 7, 7, s.color);
      if (i > 0 && !std::isnan(s.y[i - 1]))
        c.line(px(s.x[i - 1]), py(s.y[i - 1]), px(s.x[i]), py(s.y[i]), s.color, 3);
    }
    const int ly = kTop + 10 + static_cast<int>(k) * 28;  // legend
    c.rect(kRight + 30, ly, 20, 14, s.color);
    c.text(kRight + 58, ly, s.name, kText);
  }
  c.save_png(path.string());
}

// metrics.csv as columns by name.
std::map<std::string, std::vector<double>> read_metrics(const fs::path& path) {
  std::ifstream in(path);
  std::string header_line;
  std::getline(in, header_line);
  std::vector<std::string> header;
  std::istringstream h(header_line);
  for (std::string cell; std::getline(h, cell, ',');) header.push_back(cell);
  std::map<std::string, std::vector<double>> columns;
  for (std::string line; std::getline(in, line);) {
    std::istringstream l(line);
    std::size_t k = 0;
    std::string cell;
    for (; k < header.size(); ++k) {
      if (!std::getline(l, cell, ',')) cell.clear();
      columns[header[k]].push_back(cell.empty() ? NAN : std::stod(cell));
    }
  }
  return columns;
}

// Where to cut: the centre of mass of `wanted` voxels in the truth (else the prediction, else
// the middle), as (d, h, w).
std::array<std::int64_t, 3> centre(const VolumeSlices& v,
                                   const std::function<bool(std::uint8_t)>& wanted) {
  for (const std::vector<std::uint8_t>* labels : {&v.truth, &v.prediction}) {
    double sum[3] = {0, 0, 0}, n = 0;
    const std::int64_t s = v.size;
    for (std::int64_t i = 0; i < s * s * s; ++i)
      if (wanted((*labels)[static_cast<std::size_t>(i)])) {
        sum[0] += static_cast<double>(i / (s * s)), sum[1] += static_cast<double>(i / s % s),
            sum[2] += static_cast<double>(i % s);
        ++n;
      }
    if (n > 0)
      return {static_cast<std::int64_t>(sum[0] / n), static_cast<std::int64_t>(sum[1] / n),
              static_cast<std::int64_t>(sum[2] / n)};
  }
  return {v.size / 2, v.size / 2, v.size / 2};
}

void draw_volume(const fs::path& path, const std::string& title, const VolumeSlices& v,
                 const std::array<std::int64_t, 3>& at) {
  const std::int64_t s = v.size;
  const int zoom = static_cast<int>(std::max<std::int64_t>(1, 200 / s)),
            panel = static_cast<int>(s) * zoom;
  constexpr int kLabelWidth = 130, kTitle = 70, kGap = 16;
  Canvas c(kLabelWidth + 2 * panel + 3 * kGap, kTitle + 3 * (panel + kGap) + kGap, kWhite);
  c.text(kGap, 12, title, kText);
  c.text(kLabelWidth + kGap, 44, "ground truth", kText);
  c.text(kLabelWidth + 2 * kGap + panel, 44, "prediction", kText);
  const char* views[3] = {"axial", "coronal", "sagittal"};
  for (int view = 0; view < 3; ++view) {
    const int top = kTitle + view * (panel + kGap);
    c.text(kGap, top + panel / 2 - 7, views[view], kText);
    for (int column = 0; column < 2; ++column) {
      const std::vector<std::uint8_t>& labels = column == 0 ? v.truth : v.prediction;
      const int left = kLabelWidth + kGap + column * (panel + kGap);
      for (std::int64_t r = 0; r < s; ++r)
        for (std::int64_t q = 0; q < s; ++q) {
          // axial: (w, h) at d; coronal: (w, d) at h; sagittal: (h, d) at w; superior up.
          const std::int64_t d = view == 0 ? at[0] : s - 1 - r, h = view == 0   ? r
                                                                    : view == 1 ? at[1]
                                                                                : q;
          const std::int64_t w = view == 2 ? at[2] : q;
          const std::size_t i = static_cast<std::size_t>((d * s + h) * s + w);
          const double grey = std::clamp((v.image[i] + 2.5) / 5.0, 0.0, 1.0) * 255;
          const auto g = static_cast<std::uint8_t>(grey);
          for (int dy = 0; dy < zoom; ++dy)
            for (int dx = 0; dx < zoom; ++dx) {
              const int x = left + static_cast<int>(q) * zoom + dx,
                        y = top + static_cast<int>(r) * zoom + dy;
              c.pixel(x, y, {g, g, g});
              if (labels[i] > 0) c.pixel(x, y, kLabelColors[labels[i] % 6], 0.45);
            }
        }
    }
  }
  c.save_png(path.string());
}

}  // namespace

void plot_metrics(const fs::path& run_folder, const std::vector<std::string>& class_names) {
  const auto m = read_metrics(run_folder / "metrics.csv");
  if (m.empty() || m.at("epoch").empty()) return;
  fs::create_directories(run_folder / "plots");
  const std::vector<double>& epoch = m.at("epoch");
  line_chart(run_folder / "plots" / "dice_mean.png", "validation dice (mean of classes)", "epoch",
             "dice", {{"mean dice", epoch, m.at("val_dice_mean"), kPalette[0]}}, true);
  std::vector<Series> per_class;
  for (std::size_t c = 0; c < class_names.size(); ++c)
    per_class.push_back(
        {class_names[c], epoch, m.at("val_dice_" + class_names[c]), kPalette[c % 8]});
  line_chart(run_folder / "plots" / "dice_per_class.png", "validation dice per class", "epoch",
             "dice", per_class, true);
  line_chart(run_folder / "plots" / "loss.png", "loss", "epoch", "loss",
             {{"train", epoch, m.at("train_loss"), kPalette[0]},
              {"validation", epoch, m.at("val_loss"), kPalette[1]}},
             false);
}

void write_visualisations(const fs::path& test_folder, const DiceTable& table,
                          const std::function<VolumeSlices(std::size_t)>& volume) {
  fs::create_directories(test_folder);
  const auto draw = [&](const std::string& file, std::size_t v, int cls, double dice) {
    const VolumeSlices slices = volume(v);
    const auto at = centre(slices, [cls](std::uint8_t l) { return cls < 0 ? l > 0 : l == cls; });
    char title[160];
    std::snprintf(
        title, sizeof title, "%s  %s  dice %.3f", table.volumes[v].c_str(),
        cls < 0 ? "all classes" : table.class_names[static_cast<std::size_t>(cls)].c_str(), dice);
    draw_volume(test_folder / file, title, slices, at);
  };
  const auto extremes = [&](const std::function<double(std::size_t)>& score,
                            const std::string& suffix, int cls) {
    std::size_t best = 0, worst = 0;
    bool any = false;
    for (std::size_t v = 0; v < table.volumes.size(); ++v) {
      const double d = score(v);
      if (std::isnan(d)) continue;
      if (!any || d > score(best)) best = v;
      if (!any || d < score(worst)) worst = v;
      any = true;
    }
    if (!any) return;
    draw("best_" + suffix + ".png", best, cls, score(best));
    draw("worst_" + suffix + ".png", worst, cls, score(worst));
  };
  for (std::size_t c = 0; c < table.class_names.size(); ++c)
    extremes([&](std::size_t v) { return table.per_volume[v][c]; }, "class_" + std::to_string(c),
             static_cast<int>(c));
  extremes([&](std::size_t v) { return table.volume_mean(v); }, "global", -1);
}

}  // namespace unet3d
