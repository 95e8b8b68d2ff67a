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
// the middle), as (x, y, z).
std::array<std::int64_t, 3> centre(const VolumeSlices& v,
                                   const std::function<bool(std::uint8_t)>& wanted) {
  const Grid3& g = v.grid;
  for (const std::vector<std::uint8_t>* labels : {&v.truth, &v.prediction}) {
    double sum[3] = {0, 0, 0}, n = 0;
    for (std::int64_t i = 0; i < g.voxels(); ++i)
      if (wanted((*labels)[static_cast<std::size_t>(i)])) {
        sum[0] += static_cast<double>(i % g.nx), sum[1] += static_cast<double>(i / g.nx % g.ny),
            sum[2] += static_cast<double>(i / (g.nx * g.ny));
        ++n;
      }
    if (n > 0)
      return {static_cast<std::int64_t>(sum[0] / n), static_cast<std::int64_t>(sum[1] / n),
              static_cast<std::int64_t>(sum[2] / n)};
  }
  return {g.nx / 2, g.ny / 2, g.nz / 2};
}

// The display window of an image: its mean +- 2.5 standard deviations.
std::array<double, 2> window(const std::vector<float>& image) {
  double sum = 0, squares = 0;
  for (const float x : image) sum += x, squares += static_cast<double>(x) * x;
  const double n = std::max<double>(1, static_cast<double>(image.size()));
  const double mean = sum / n, sd = std::sqrt(std::max(squares / n - mean * mean, 0.0));
  return {mean - 2.5 * sd, mean + 2.5 * sd};
}

// Axial (x across, y down), coronal (x across, z up) and sagittal (y across, z up) slices through
// `at`, truth and prediction side by side, drawn in millimetres (anisotropic voxels keep their
// shape), and a legend of the classes' colours.
void draw_volume(const fs::path& path, const std::string& title, const VolumeSlices& v,
                 const std::array<std::int64_t, 3>& at, const std::vector<std::string>& classes) {
  const Grid3& g = v.grid;
  const double mm[3] = {static_cast<double>(g.nx) * g.sx, static_cast<double>(g.ny) * g.sy,
                        static_cast<double>(g.nz) * g.sz};
  const double scale = 220 / std::max({mm[0], mm[1], mm[2]});  // pixels per mm
  const auto pixels = [&](int axis) { return std::max(1, static_cast<int>(mm[axis] * scale)); };
  // Per view: the axis across, the axis down (flipped for z: superior up), the axis cut.
  const int across[3] = {0, 0, 1}, down[3] = {1, 2, 2}, cut[3] = {2, 1, 0};
  const int panel = std::max({pixels(0), pixels(1), pixels(2)});
  constexpr int kLabelWidth = 130, kTitle = 70, kGap = 16, kLegend = 40;
  Canvas c(kLabelWidth + 2 * panel + 3 * kGap, kTitle + 3 * (panel + kGap) + kGap + kLegend,
           kWhite);
  c.text(kGap, 12, title, kText);
  c.text(kLabelWidth + kGap, 44, "ground truth", kText);
  c.text(kLabelWidth + 2 * kGap + panel, 44, "prediction", kText);
  const std::array<double, 2> w = window(v.image);
  const std::int64_t n[3] = {g.nx, g.ny, g.nz};
  const double spacing[3] = {g.sx, g.sy, g.sz};
  const char* views[3] = {"axial", "coronal", "sagittal"};
  for (int view = 0; view < 3; ++view) {
    const int top = kTitle + view * (panel + kGap);
    c.text(kGap, top + panel / 2 - 7, views[view], kText);
    const int a = across[view], b = down[view];
    for (int column = 0; column < 2; ++column) {
      const std::vector<std::uint8_t>& labels = column == 0 ? v.truth : v.prediction;
      const int left = kLabelWidth + kGap + column * (panel + kGap);
      for (int py = 0; py < pixels(b); ++py)
        for (int px = 0; px < pixels(a); ++px) {
          std::int64_t k[3];
          k[cut[view]] = at[static_cast<std::size_t>(cut[view])];
          k[a] = std::min(n[a] - 1, static_cast<std::int64_t>(px / (spacing[a] * scale)));
          const std::int64_t row =
              std::min(n[b] - 1, static_cast<std::int64_t>(py / (spacing[b] * scale)));
          k[b] = b == 2 ? n[b] - 1 - row : row;
          const auto i = static_cast<std::size_t>((k[2] * g.ny + k[1]) * g.nx + k[0]);
          const double grey = std::clamp((v.image[i] - w[0]) / (w[1] - w[0] + 1e-12), 0.0, 1.0);
          const auto level = static_cast<std::uint8_t>(grey * 255);
          c.pixel(left + px, top + py, {level, level, level});
          if (labels[i] > 0) c.pixel(left + px, top + py, kLabelColors[labels[i] % 6], 0.45);
        }
    }
  }
  // The legend: each foreground class's colour and name.
  int x = kGap;
  const int y = kTitle + 3 * (panel + kGap) + 8;
  for (std::size_t k = 1; k < classes.size(); ++k) {
    c.rect(x, y, 16, 16, kLabelColors[k % 6]);
    c.text(x + 22, y + 1, classes[k], kText);
    x += 22 + Canvas::text_width(classes[k]) + 18;
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

void write_visualisations(const fs::path& test_folder, const CaseScoreTable& scores,
                          const std::function<VolumeSlices(std::size_t)>& volume) {
  fs::create_directories(test_folder);
  const std::vector<std::string>& classes = scores.class_names();
  const auto draw = [&](const std::string& file, std::size_t v, int cls, double dice) {
    const VolumeSlices slices = volume(v);
    const auto at = centre(slices, [cls](std::uint8_t l) { return cls < 0 ? l > 0 : l == cls; });
    std::string title = concat(scores.case_name(v), "  ",
                               cls < 0 ? "all classes" : classes[static_cast<std::size_t>(cls)]);
    char figures[96];
    if (cls < 0)
      std::snprintf(figures, sizeof figures, "  mean dice %.3f", dice);
    else
      std::snprintf(figures, sizeof figures, "  dice %.3f  hd95 %.1f mm", dice,
                    scores.hd95(v, cls));
    draw_volume(test_folder / file, title + figures, slices, at, classes);
  };
  // The best and worst of `score` over the cases `eligible` admits.
  const auto extremes = [&](const std::function<double(std::size_t)>& score,
                            const std::function<bool(std::size_t)>& eligible,
                            const std::string& suffix, int cls) {
    std::size_t best = 0, worst = 0;
    bool any = false;
    for (std::size_t v = 0; v < scores.cases(); ++v) {
      if (!eligible(v)) continue;
      const double d = score(v);
      if (!any || d > score(best)) best = v;
      if (!any || d < score(worst)) worst = v;
      any = true;
    }
    if (!any) return;
    draw("best_" + suffix + ".png", best, cls, score(best));
    draw("worst_" + suffix + ".png", worst, cls, score(worst));
  };
  // A class's pictures come from the cases whose truth holds it; the background gets none.
  for (std::size_t c = 1; c < classes.size(); ++c) {
    const int k = static_cast<int>(c);
    extremes([&](std::size_t v) { return scores.dice(v, k); },
             [&](std::size_t v) { return scores.truth_has(v, k); }, "class_" + std::to_string(c),
             k);
  }
  extremes([&](std::size_t v) { return scores.mean_dice(v); }, [](std::size_t) { return true; },
           "global", -1);
}

}  // namespace unet3d
