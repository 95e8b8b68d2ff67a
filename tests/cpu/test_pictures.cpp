// The run's pictures, read back from their PNG files pixel by pixel: a long title wraps inside
// the canvas with every character drawn; each slice is lettered with the patient's directions
// (the structure lies where its letters say, whatever the voxel order) and carries a scale bar as
// long as its length in mm at the slice's scale; where every case scores 0 no picture calls a
// case best; markers of equal values stay visible; the mean-Dice plot says the background is in.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "tests/support/test_data.h"
#include "tools/report/canvas.h"
#include "tools/report/pictures.h"
#include "tools/run/metrics_file.h"

using namespace unet3d;
using unet3d::testing::scratch_folder;
namespace fs = std::filesystem;

namespace {

// A PNG as read back: what a user sees.
struct Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
  Color at(int x, int y) const {
    const std::uint8_t* p = &rgb[static_cast<std::size_t>((y * width + x) * 3)];
    return {p[0], p[1], p[2]};
  }
  // Anything drawn: the pictures' background is white.
  bool ink(int x, int y) const {
    const Color c = at(x, y);
    return c.r != 255 || c.g != 255 || c.b != 255;
  }
};

Image load(const fs::path& path) {
  Image image;
  int channels = 0;
  stbi_uc* data = stbi_load(path.string().c_str(), &image.width, &image.height, &channels, 3);
  REQUIRE(data != nullptr);
  image.rgb.assign(data, data + image.width * image.height * 3);
  stbi_image_free(data);
  return image;
}

// `s` drawn alone by the canvas's font: the pattern to look for.
Canvas rendered(const std::string& s, int scale) {
  Canvas c(Canvas::text_width(s, scale), 7 * scale, {255, 255, 255});
  c.text(0, 0, s, {0, 0, 0}, scale);
  return c;
}

bool ink(const Canvas& c, int x, int y) {
  const Color p = c.at(x, y);
  return p.r != 255 || p.g != 255 || p.b != 255;
}

// The top-left corner of `s` drawn on white whole inside the box [x0, x1) x [y0, y1) (clipped to
// the image): every pixel of its cells inked exactly where the font inks it.
std::optional<std::array<int, 2>> find_text(const Image& image, const std::string& s, int x0,
                                            int y0, int x1, int y1, int scale = 2) {
  const Canvas t = rendered(s, scale);
  x0 = std::max(x0, 0), y0 = std::max(y0, 0);
  x1 = std::min(x1, image.width), y1 = std::min(y1, image.height);
  for (int y = y0; y + t.height() <= y1; ++y)
    for (int x = x0; x + t.width() <= x1; ++x) {
      bool same = true;
      for (int j = 0; j < t.height() && same; ++j)
        for (int i = 0; i < t.width() && same; ++i) same = image.ink(x + i, y + j) == ink(t, i, j);
      if (same) return std::array<int, 2>{x, y};
    }
  return std::nullopt;
}

int count_ink(const Canvas& c) {
  int n = 0;
  for (int y = 0; y < c.height(); ++y)
    for (int x = 0; x < c.width(); ++x) n += ink(c, x, y);
  return n;
}

// A volume of nx x ny x nz voxels oriented as `orientation` whose truth and prediction hold label
// 1 in the eighth of the grid at the patient's right, anterior and superior end of every axis; a
// grey image with no voxel at the top of its display window (so no white).
VolumeSlices corner_volume(const std::string& orientation, Grid3 g) {
  VolumeSlices v{g, {}, {}, {}, orientation};
  const std::int64_t n[3] = {g.nx, g.ny, g.nz};
  for (std::int64_t z = 0; z < g.nz; ++z)
    for (std::int64_t y = 0; y < g.ny; ++y)
      for (std::int64_t x = 0; x < g.nx; ++x) {
        const std::int64_t k[3] = {x, y, z};
        bool corner = true;
        for (std::size_t a = 0; a < 3; ++a) {
          const bool toward_ras = std::string("RAS").find(orientation[a]) != std::string::npos;
          corner = corner && (toward_ras ? k[a] >= n[a] - n[a] / 4 : k[a] < n[a] / 4);
        }
        v.image.push_back(static_cast<float>((x * 7 + y * 3 + z * 5) % 11));
        v.truth.push_back(corner ? 1 : 0);
      }
  v.prediction = v.truth;
  return v;
}

// The centre voxel of label 1's block.
std::array<std::int64_t, 3> block_centre(const VolumeSlices& v) {
  std::array<double, 3> sum{};
  double count = 0;
  for (std::int64_t i = 0; i < v.grid.voxels(); ++i)
    if (v.truth[static_cast<std::size_t>(i)] == 1)
      sum[0] += static_cast<double>(i % v.grid.nx),
          sum[1] += static_cast<double>(i / v.grid.nx % v.grid.ny),
          sum[2] += static_cast<double>(i / (v.grid.nx * v.grid.ny)), ++count;
  return {static_cast<std::int64_t>(sum[0] / count), static_cast<std::int64_t>(sum[1] / count),
          static_cast<std::int64_t>(sum[2] / count)};
}

const std::vector<std::string> kClasses = {"background", "organ"};

}  // namespace

TEST_CASE("a title wider than the canvas wraps inside it and every character is drawn",
          "[pictures]") {
  const fs::path dir = scratch_folder("pictures_title");
  // An unbreakable case name longer than a line and an HD95 near where titles used to be cut.
  const std::string title =
      "best of 12:  a_case_name_that_goes_on_and_on_without_a_single_space_at_all_0001  "
      "hippocampus_posterior  dice 0.912  hd95 5.0 mm";
  const VolumeSlices v = corner_volume("RAS", {24, 16, 10, 1.0, 1.5, 3.0});
  draw_slices(dir / "title.png", title, v, block_centre(v), kClasses);
  const Image image = load(dir / "title.png");
  const SlicesLayout l = slices_layout(v, title, kClasses);
  REQUIRE((image.width == l.width && image.height == l.height));
  CHECK(l.title_lines >= 3);  // the long name alone takes more than one line

  // Each wrapped line fits and is drawn, and the lines hold the whole title but the spaces cut.
  const std::vector<std::string> lines = Canvas::wrap(title, l.width - 32);
  std::string joined, original;
  for (const std::string& line : lines) {
    INFO(line);
    CHECK(Canvas::text_width(line) <= l.width - 32);
    const auto at = find_text(image, line, 0, 0, image.width, l.title_bottom);
    REQUIRE(at.has_value());
    CHECK((*at)[0] + Canvas::text_width(line) <= image.width);
    joined += line;
  }
  // A field of the title (parted from the others by two spaces) is cut only where it is wider
  // than a line, as the case name is: "hd95" stays with its number.
  CHECK(lines.back() == "hd95 5.0 mm");
  for (const char ch : title) original += ch == ' ' ? "" : std::string(1, ch);
  std::erase(joined, ' ');
  CHECK(joined == original);

  // The title rows hold exactly the title's ink, all of it left of the canvas's right edge.
  int drawn = 0, rightmost = -1;
  for (int y = 0; y < l.title_bottom; ++y)
    for (int x = 0; x < image.width; ++x)
      if (image.ink(x, y)) ++drawn, rightmost = std::max(rightmost, x);
  CHECK(drawn == count_ink(rendered(title, 2)));
  CHECK(rightmost < image.width - 1);
}

TEST_CASE("each slice is lettered with the patient's directions and has a scale bar",
          "[pictures]") {
  const fs::path dir = scratch_folder("pictures_letters");
  // Voxel orders that read the patient differently: the structure at the patient's right,
  // anterior and superior corner must still show at the top left of every slice (the right on
  // the screen's left, anterior up in the axial slice and on the left of the sagittal one).
  for (const std::string& orientation : std::vector<std::string>{"RAS", "LPS", "AIL"}) {
    INFO("orientation " << orientation);
    const Grid3 g{24, 16, 10, 1.0, 1.5, 3.0};  // 24 x 24 x 30 mm
    const VolumeSlices v = corner_volume(orientation, g);
    const fs::path png = dir / (orientation + ".png");
    draw_slices(png, "a case", v, block_centre(v), kClasses);
    const Image image = load(png);
    const SlicesLayout l = slices_layout(v, "a case", kClasses);
    REQUIRE((image.width == l.width && image.height == l.height));
    CHECK(l.bar_mm == 10);  // 10 mm: at most 40 % of the 220-pixel side of a 30 mm volume
    const std::array<double, 3> extent = {24, 24, 30};
    // Per view: the letters left, right, top and bottom; the patient axes across and down.
    const std::string letters[3] = {"RLAP", "RLSI", "APSI"};
    const std::string across_axis[3] = {"RL", "RL", "AP"}, down_axis[3] = {"AP", "SI", "SI"};
    for (std::size_t view = 0; view < 3; ++view)
      for (std::size_t column = 0; column < 2; ++column) {
        INFO("view " << view << ", column " << column);
        const auto [x, y, w, h] = l.slices[view][column];
        const std::string& e = letters[view];
        // Each letter in the margin on its side, at the middle of the edge.
        const auto left = find_text(image, e.substr(0, 1), x - 22, y, x, y + h);
        const auto right = find_text(image, e.substr(1, 1), x + w, y, x + w + 22, y + h);
        const auto top = find_text(image, e.substr(2, 1), x, y - 22, x + w, y);
        const auto bottom = find_text(image, e.substr(3, 1), x, y + h, x + w, y + h + 22);
        REQUIRE((left && right && top && bottom));
        CHECK(std::abs((*left)[1] + 7 - (y + h / 2)) <= 1);
        CHECK(std::abs((*right)[1] + 7 - (y + h / 2)) <= 1);
        CHECK(std::abs((*top)[0] + 5 - (x + w / 2)) <= 1);
        CHECK(std::abs((*bottom)[0] + 5 - (x + w / 2)) <= 1);

        // The slice is drawn in millimetres at the layout's scale: its size is the volume's
        // extent along the patient axes across and down it.
        for (std::size_t a = 0; a < 3; ++a) {
          const char letter = orientation[a];
          if (across_axis[view].find(letter) != std::string::npos)
            CHECK(w == static_cast<int>(extent[a] * l.pixels_per_mm));
          if (down_axis[view].find(letter) != std::string::npos)
            CHECK(h == static_cast<int>(extent[a] * l.pixels_per_mm));
        }
        int drawn_width = 0;
        while (drawn_width < w + 5 && image.ink(x + drawn_width, y + h / 2)) ++drawn_width;
        CHECK(drawn_width == w);

        // The structure (green overlay) lies in the slice's top-left quadrant.
        double sx = 0, sy = 0, n = 0;
        for (int j = 0; j < h; ++j)
          for (int i = 0; i < w; ++i) {
            const Color c = image.at(x + i, y + j);
            if (c.g > c.r + 30 && c.g > c.b + 30) sx += i, sy += j, ++n;
          }
        REQUIRE(n > 0);
        CHECK(sx / n < w / 2.0);
        CHECK(sy / n < h / 2.0);

        // The scale bar under the bottom letter: from the image's left edge, bar_mm long at the
        // slice's scale, its length written after it.
        const int bar_y = y + h + 27;
        int bar = 0;
        while (image.ink(x + bar, bar_y)) ++bar;
        CHECK_FALSE(image.ink(x - 1, bar_y));
        CHECK(bar == std::lround(l.bar_mm * l.pixels_per_mm));
        CHECK(
            find_text(image, "10 mm", x + bar, y + h + 14, x + bar + 100, y + h + 44).has_value());
      }
  }

  // A grid whose header gives no orientation is lettered "?", not with a guess.
  VolumeSlices unknown = corner_volume("RAS", {24, 16, 10, 1.0, 1.5, 3.0});
  unknown.orientation = "";
  draw_slices(dir / "unknown.png", "a case", unknown, {12, 8, 5}, kClasses);
  const Image image = load(dir / "unknown.png");
  const auto [x, y, w, h] = slices_layout(unknown, "a case", kClasses).slices[0][0];
  CHECK(find_text(image, "?", x - 22, y, x, y + h).has_value());
  NiftiGeometry bare;
  CHECK(picture_orientation(bare).empty());
  bare.sform_code = 1;  // the identity sform: x toward the right, y anterior, z superior
  CHECK(picture_orientation(bare) == "RAS");
}

TEST_CASE("where every case scores 0 no picture calls a case best", "[pictures]") {
  const Grid3 g{12, 12, 8, 1.0, 1.0, 2.0};
  std::vector<VolumeSlices> volumes;
  for (int k = 0; k < 3; ++k) volumes.push_back(corner_volume("RAS", g));
  const std::vector<std::string> classes = {"background", "organ"};
  const auto score = [&](bool first_hits) {
    CaseScoreTable scores(classes, 2.0);
    for (std::size_t v = 0; v < volumes.size(); ++v) {
      // A prediction of nothing scores Dice 0; where first_hits, case 0's is the truth.
      volumes[v].prediction = volumes[v].truth;
      if (!(first_hits && v == 0))
        std::fill(volumes[v].prediction.begin(), volumes[v].prediction.end(), 0);
      scores.add("case_" + std::to_string(v), volumes[v].prediction.data(), volumes[v].truth.data(),
                 g);
    }
    return scores;
  };
  const auto volume = [&](std::size_t v) { return volumes[v]; };

  const fs::path zero = scratch_folder("pictures_zero");
  write_visualisations(zero, score(false), volume);
  for (const auto& entry : fs::directory_iterator(zero))
    CHECK(entry.path().filename().string().rfind("best_", 0) == std::string::npos);
  for (const char* file : {"worst_class_1.png", "worst_global.png"}) {
    INFO(file);
    REQUIRE(fs::exists(zero / file));
    const Image image = load(zero / file);
    const int title_bottom = 60;  // the title's first line, and room to spare
    CHECK(find_text(image, "all 3 score 0:", 0, 0, image.width, title_bottom).has_value());
    CHECK_FALSE(find_text(image, "best", 0, 0, image.width, title_bottom).has_value());
  }

  // With one case found, it is the best and the titles say of how many.
  const fs::path one = scratch_folder("pictures_one");
  write_visualisations(one, score(true), volume);
  for (const char* file : {"best_class_1.png", "worst_class_1.png", "best_global.png"})
    CHECK(fs::exists(one / file));
  CHECK(find_text(load(one / "best_class_1.png"), "best of 3:", 0, 0, 400, 40).has_value());
}

TEST_CASE("markers of equal values stay visible and the mean Dice names the background",
          "[pictures]") {
  const fs::path dir = scratch_folder("pictures_plots");
  const std::vector<std::string> classes = {"background", "body", "bone", "bladder", "rectum"};
  {
    // Five epochs in which every class scores 0, the way a run starts.
    std::ofstream csv(dir / "metrics.csv");
    csv << metrics_header(classes, false) << "\n";
    for (int epoch = 1; epoch <= 5; ++epoch) {
      csv << epoch << ",0.9,0.8";
      for (std::size_t c = 0; c <= classes.size(); ++c) csv << ",0";
      csv << ",0.01,1,2,1000\n";
    }
  }
  plot_metrics(dir, classes);
  const Image per_class = load(dir / "plots" / "dice_per_class.png");
  // Every series' colour shows in the plot (left of the legend, which starts at x = 750), where
  // drawn one over another only the last would.
  std::map<std::array<int, 3>, int> colours;
  for (int y = 0; y < per_class.height; ++y)
    for (int x = 0; x < 745; ++x) {
      const Color c = per_class.at(x, y);
      if (c.r != c.g || c.g != c.b) ++colours[{c.r, c.g, c.b}];
    }
  std::size_t shown = 0;
  for (const auto& [colour, pixels] : colours) shown += pixels >= 20;
  CHECK(shown >= classes.size());

  const Image mean = load(dir / "plots" / "dice_mean.png");
  CHECK(find_text(mean, "validation mean dice, background included", 0, 0, mean.width, 60, 3)
            .has_value());
}
