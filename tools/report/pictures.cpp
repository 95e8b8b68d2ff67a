// Training curves and test visualisations, drawn on the canvas.
#include "tools/report/pictures.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "io/nifti_geometry.h"
#include "runtime/error.h"
#include "tools/report/canvas.h"
#include "tools/report/line_chart.h"

namespace unet3d {
namespace fs = std::filesystem;
namespace {

// The orientation letters: a blue that neither the grey image nor the text colour takes.
constexpr Color kLetters{20, 90, 200};
constexpr Color kPalette[] = {{31, 119, 180},  {255, 127, 14}, {44, 160, 44},   {214, 39, 40},
                              {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127}};
// Overlay colours by label (0, background, is not drawn).
constexpr Color kLabelColors[] = {{0, 0, 0},      {90, 200, 90},  {240, 230, 80},
                                  {70, 130, 255}, {240, 120, 40}, {240, 40, 200}};

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
    std::string cell;
    for (std::size_t k = 0; k < header.size(); ++k) {
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

// The patient directions in opposite pairs; a letter's place / 2 is its patient axis (0
// right-left, 1 anterior-posterior, 2 superior-inferior), -1 for any other character.
constexpr char kDirections[] = "RLAPSI";
int direction(char letter) {
  const char* at = std::strchr(kDirections, letter);
  return letter != 0 && at ? static_cast<int>(at - kDirections) : -2;
}
int patient_axis(char letter) {
  return direction(letter) / 2;
}

// How a slice shows the volume: the voxel axis across the screen (left to right) and down it
// (top to bottom), whether the voxel index runs against the screen there, the axis cut, and the
// patient directions at the left, right, top and bottom edges.
struct View {
  const char* name;
  int across, down, cut;
  bool flip_across, flip_down;
  char left, right, top, bottom;
};

// The views of a volume oriented as `orientation`, the radiological way: the axial slice seen
// from the feet (the patient's right on the screen's left, anterior up), the coronal one from the
// front (right on the left, superior up), the sagittal one from the patient's left (anterior on
// the left, superior up). An unknown orientation is shown as "RAS" would be, lettered "?".
std::array<View, 3> views_of(const std::string& orientation) {
  bool known = orientation.size() == 3;
  for (std::size_t k = 0; known && k < 3; ++k)
    known = patient_axis(orientation[k]) >= 0 &&
            patient_axis(orientation[k]) != patient_axis(orientation[(k + 1) % 3]);
  const std::string o = known ? orientation : "RAS";
  const char* names[3] = {"axial", "coronal", "sagittal"};
  // Where the screen's x and y grow toward, per view.
  const char to_right[3] = {'L', 'L', 'P'}, to_bottom[3] = {'P', 'I', 'I'};
  std::array<View, 3> views{};
  for (std::size_t v = 0; v < 3; ++v) {
    View& w = views[v];
    w.name = names[v];
    for (int k = 0; k < 3; ++k) {  // the voxel axes along the patient axes across and down
      if (patient_axis(o[k]) == patient_axis(to_right[v])) w.across = k;
      if (patient_axis(o[k]) == patient_axis(to_bottom[v])) w.down = k;
    }
    w.cut = 3 - w.across - w.down;
    // A voxel axis pointing toward the screen's left (or top) is read backwards.
    w.flip_across = o[w.across] != to_right[v], w.flip_down = o[w.down] != to_bottom[v];
    w.right = known ? to_right[v] : '?', w.left = known ? kDirections[direction(w.right) ^ 1] : '?';
    w.bottom = known ? to_bottom[v] : '?',
    w.top = known ? kDirections[direction(w.bottom) ^ 1] : '?';
  }
  return views;
}

constexpr int kSlice = 220;     // the longest side of a slice (the volume's longest extent)
constexpr int kMargin = 16;     // the canvas's edges
constexpr int kNames = 110;     // the column of view names
constexpr int kAround = 22;     // left of, right of and above a slice: its letters
constexpr int kBelow = 46;      // under a slice: its bottom letter, then the scale bar
constexpr int kColumnGap = 20;  // between the truth's right letter and the prediction's left one
constexpr int kSwatch = 22;     // a legend entry's colour square and the gap after it

// The legend's entries (the foreground classes) laid out in rows within `width`: each entry's
// offset from the legend's top-left corner, and the legend's height.
struct LegendPlace {
  std::vector<std::array<int, 2>> at;
  int height = 0;
};
LegendPlace legend_place(const std::vector<std::string>& classes, int width) {
  LegendPlace p;
  int x = 0, row_top = 0, row_lines = 1;
  const int name_width = width - kSwatch;
  for (std::size_t k = 1; k < classes.size(); ++k) {
    const std::vector<std::string> lines = Canvas::wrap(classes[k], name_width);
    int widest = 0;
    for (const std::string& l : lines) widest = std::max(widest, Canvas::text_width(l));
    const int entry = kSwatch + widest + 18;
    if (x > 0 && x + entry - 18 > width)  // a new row
      x = 0, row_top += row_lines * Canvas::line_height() + 6, row_lines = 1;
    p.at.push_back({x, row_top});
    row_lines = std::max(row_lines, static_cast<int>(lines.size()));
    x += entry;
  }
  p.height = classes.size() > 1 ? row_top + row_lines * Canvas::line_height() : 0;
  return p;
}

}  // namespace

std::string picture_orientation(const NiftiGeometry& g) {
  return g.qform_code > 0 || g.sform_code > 0 ? orientation_of(g) : "";
}

SlicesLayout slices_layout(const VolumeSlices& v, const std::string& title,
                           const std::vector<std::string>& classes) {
  SlicesLayout l;
  const Grid3& g = v.grid;  // its extent along each voxel axis, in mm:
  const std::array<double, 3> mm = {static_cast<double>(g.nx) * g.sx,
                                    static_cast<double>(g.ny) * g.sy,
                                    static_cast<double>(g.nz) * g.sz};
  l.pixels_per_mm = kSlice / std::max({mm[0], mm[1], mm[2]});
  const auto pixels = [&](int axis) {
    return std::max(1, static_cast<int>(mm[static_cast<std::size_t>(axis)] * l.pixels_per_mm));
  };
  const int panel = std::max({pixels(0), pixels(1), pixels(2)});
  // The scale bar: the longest round length up to 40 % of a slice's longest side.
  l.bar_mm = 1;
  for (const int length : {2, 5, 10, 20, 50, 100, 200, 500, 1000})
    if (length * l.pixels_per_mm <= 0.4 * panel) l.bar_mm = length;
  const int cell = kAround + panel + kAround + kColumnGap, row = kAround + panel + kBelow;
  l.width = 2 * kMargin + kNames + 2 * cell - kColumnGap;
  l.title_lines = static_cast<int>(Canvas::wrap(title, l.width - 2 * kMargin).size());
  l.title_bottom = 12 + l.title_lines * Canvas::line_height() - 6;
  const int rows_top = l.title_bottom + 16 + Canvas::line_height();
  const std::array<View, 3> views = views_of(v.orientation);
  for (std::size_t view = 0; view < 3; ++view)
    for (std::size_t column = 0; column < 2; ++column)
      l.slices[view][column] = {kMargin + kNames + static_cast<int>(column) * cell + kAround,
                                rows_top + static_cast<int>(view) * row + kAround,
                                pixels(views[view].across), pixels(views[view].down)};
  l.height = rows_top + 3 * row + 4 + legend_place(classes, l.width - 2 * kMargin).height + kMargin;
  return l;
}

void draw_slices(const fs::path& path, const std::string& title, const VolumeSlices& v,
                 const std::array<std::int64_t, 3>& at, const std::vector<std::string>& classes) {
  const Grid3& g = v.grid;
  const SlicesLayout l = slices_layout(v, title, classes);
  Canvas c(l.width, l.height, kWhite);
  c.paragraph(kMargin, 12, l.width - 2 * kMargin, title, kText);
  c.text(l.slices[0][0][0], l.title_bottom + 16, "ground truth", kText);
  c.text(l.slices[0][1][0], l.title_bottom + 16, "prediction", kText);
  const std::array<double, 2> w = window(v.image);
  const std::int64_t n[3] = {g.nx, g.ny, g.nz};
  const double spacing[3] = {g.sx, g.sy, g.sz};
  const std::array<View, 3> views = views_of(v.orientation);
  const std::string bar_label = concat(l.bar_mm, " mm");
  const int bar = static_cast<int>(std::lround(l.bar_mm * l.pixels_per_mm));
  for (std::size_t view = 0; view < 3; ++view) {
    const View& s = views[view];
    // The voxel index along `axis` under screen pixel p, read backwards where flipped.
    const auto index = [&](int axis, int p, bool flip) {
      const auto a = static_cast<std::size_t>(axis);
      const std::int64_t k =
          std::min(n[a] - 1, static_cast<std::int64_t>(p / (spacing[a] * l.pixels_per_mm)));
      return flip ? n[a] - 1 - k : k;
    };
    for (std::size_t column = 0; column < 2; ++column) {
      const std::vector<std::uint8_t>& labels = column == 0 ? v.truth : v.prediction;
      const auto [x, y, width, height] = l.slices[view][column];
      if (column == 0) c.text(kMargin, y + height / 2 - 7, s.name, kText);
      for (int py = 0; py < height; ++py)
        for (int px = 0; px < width; ++px) {
          std::int64_t k[3];
          k[s.cut] = at[static_cast<std::size_t>(s.cut)];
          k[s.across] = index(s.across, px, s.flip_across);
          k[s.down] = index(s.down, py, s.flip_down);
          const auto i = static_cast<std::size_t>((k[2] * g.ny + k[1]) * g.nx + k[0]);
          const double grey = std::clamp((v.image[i] - w[0]) / (w[1] - w[0] + 1e-12), 0.0, 1.0);
          const auto level = static_cast<std::uint8_t>(grey * 255);
          c.pixel(x + px, y + py, {level, level, level});
          if (labels[i] > 0) c.pixel(x + px, y + py, kLabelColors[labels[i] % 6], 0.45);
        }
      // The patient's direction at the middle of each edge, outside the image.
      c.text(x - 16, y + height / 2 - 7, std::string(1, s.left), kLetters);
      c.text(x + width + 6, y + height / 2 - 7, std::string(1, s.right), kLetters);
      c.text(x + width / 2 - 5, y - 18, std::string(1, s.top), kLetters);
      c.text(x + width / 2 - 5, y + height + 4, std::string(1, s.bottom), kLetters);
      // The scale bar under the bottom letter, its length after it.
      c.rect(x, y + height + 26, bar, 4, kBlack);
      c.text(x + bar + 8, y + height + 21, bar_label, kText);
    }
  }
  // The legend: each foreground class's colour and name.
  const LegendPlace legend = legend_place(classes, l.width - 2 * kMargin);
  const int top = l.height - kMargin - legend.height;
  for (std::size_t k = 1; k < classes.size(); ++k) {
    const auto [dx, dy] = legend.at[k - 1];
    c.rect(kMargin + dx, top + dy, 16, 16, kLabelColors[k % 6]);
    c.paragraph(kMargin + dx + kSwatch, top + dy + 1, l.width - 2 * kMargin - kSwatch, classes[k],
                kText);
  }
  c.save_png(path.string());
}

void plot_metrics(const fs::path& run_folder, const std::vector<std::string>& class_names) {
  const auto m = read_metrics(run_folder / "metrics.csv");
  if (m.empty() || m.at("epoch").empty()) return;
  fs::create_directories(run_folder / "plots");
  const std::vector<double>& epoch = m.at("epoch");
  // val_dice_mean is the DiceTable's average: the mean of the classes' means, the background
  // among them (the original project's figure), which the title says.
  line_chart(run_folder / "plots" / "dice_mean.png", "validation mean dice, background included",
             "epoch", "dice", {{"mean of all classes", epoch, m.at("val_dice_mean"), kPalette[0]}},
             true);
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
  // `rank` opens the title: which case of how many this is.
  const auto draw = [&](const std::string& file, const std::string& rank, std::size_t v, int cls,
                        double dice) {
    const VolumeSlices slices = volume(v);
    const auto at = centre(slices, [cls](std::uint8_t l) { return cls < 0 ? l > 0 : l == cls; });
    char figures[96];
    if (cls < 0)
      std::snprintf(figures, sizeof figures, "mean foreground dice %.3f (background left out)",
                    dice);
    else
      std::snprintf(figures, sizeof figures, "%s  dice %.3f  hd95 %.1f mm",
                    classes[static_cast<std::size_t>(cls)].c_str(), dice, scores.hd95(v, cls));
    draw_slices(test_folder / file, concat(rank, ":  ", scores.case_name(v), "  ", figures), slices,
                at, classes);
  };
  // The best and worst of `score` over the cases `eligible` admits (and that have a score, not
  // NaN). Where every one scores 0
  // none is better than another, so none is called best: only the worst_ picture is drawn, its
  // title saying so.
  const auto extremes = [&](const std::function<double(std::size_t)>& score,
                            const std::function<bool(std::size_t)>& eligible,
                            const std::string& suffix, int cls) {
    std::size_t best = 0, worst = 0, n = 0;
    for (std::size_t v = 0; v < scores.cases(); ++v) {
      const double d = score(v);
      if (!eligible(v) || std::isnan(d)) continue;
      if (n == 0 || d > score(best)) best = v;
      if (n == 0 || d < score(worst)) worst = v;
      ++n;
    }
    if (n == 0) return;
    if (score(best) <= 0) {
      draw("worst_" + suffix + ".png", concat("all ", n, " score 0"), worst, cls, score(worst));
      return;
    }
    draw("best_" + suffix + ".png", concat("best of ", n), best, cls, score(best));
    draw("worst_" + suffix + ".png", concat("worst of ", n), worst, cls, score(worst));
  };
  // A class's pictures come from the cases whose truth holds it; the background gets none.
  for (int c = 1; c < static_cast<int>(classes.size()); ++c)
    extremes([&](std::size_t v) { return scores.dice(v, c); },
             [&](std::size_t v) { return scores.truth_has(v, c); }, concat("class_", c), c);
  // Overall: the mean Dice of the foreground classes present in a case (truth or prediction).
  // The background, which any prediction mostly gets right, would lift a case that misses
  // every structure to a Dice of 1 / (1 + classes present) and call it best.
  const auto foreground_mean = [&](std::size_t v) {
    double sum = 0;
    int n = 0;
    for (std::size_t c = 1; c < classes.size(); ++c)
      if (const double d = scores.dice(v, static_cast<int>(c)); !std::isnan(d)) sum += d, ++n;
    return n > 0 ? sum / n : NAN;
  };
  extremes(
      foreground_mean, [](std::size_t) { return true; }, "global", -1);
}

}  // namespace unet3d
