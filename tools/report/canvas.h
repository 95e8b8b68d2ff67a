// A small RGB canvas for the run's pictures: rectangles, lines, text in a 5x7 bitmap font
// (upper case, digits and common punctuation, scaled up; lower case is drawn as upper case), saved
// as PNG with stb_image_write.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unet3d {

struct Color {
  std::uint8_t r, g, b;
};

// The pictures' common colours: the page, lines and ticks, grid lines, text.
inline constexpr Color kWhite{255, 255, 255}, kBlack{0, 0, 0}, kGrid{225, 225, 225},
    kText{40, 40, 40};

class Canvas {
 public:
  Canvas(int width, int height, Color background);
  int width() const { return width_; }
  int height() const { return height_; }

  void pixel(int x, int y, Color c, double alpha = 1.0);
  void rect(int x, int y, int w, int h, Color c);
  void line(int x0, int y0, int x1, int y1, Color c, int thickness = 1);
  // A plot marker 9 pixels wide centred at (x, y), one shape per value of `shape` modulo 8
  // (square, disc, triangle up, diamond, triangle down, cross, plus, hollow square), so that
  // series stay told apart where their colours are not, inside a one-pixel ring that keeps a
  // marker drawn over another one visible.
  void marker(int x, int y, int shape, Color c, Color ring = {255, 255, 255});
  // Text with its top-left corner at (x, y); each glyph is 6*scale wide, 8*scale tall.
  void text(int x, int y, const std::string& s, Color c, int scale = 2);
  // The advance of `s`: its last glyph's blank column included, so text fits where
  // x + text_width(s) <= width.
  static int text_width(const std::string& s, int scale = 2) {
    return static_cast<int>(s.size()) * 6 * scale;
  }
  // The distance between the tops of two lines of text.
  static int line_height(int scale = 2) { return 10 * scale; }
  // `s` cut into lines no wider than max_width: at runs of two or more spaces where it can (the
  // fields of a title, which a cut should not split), else at a space, else between characters;
  // the spaces at a cut dropped, those inside a line kept. So every character of `s` but the
  // spaces at the cuts is drawn, and none past max_width.
  static std::vector<std::string> wrap(const std::string& s, int max_width, int scale = 2);
  // Draws wrap(s, max_width, scale) line under line from (x, y); returns the number of lines.
  int paragraph(int x, int y, int max_width, const std::string& s, Color c, int scale = 2);
  // The colour at (x, y); a runtime Error outside the canvas.
  Color at(int x, int y) const;
  // A runtime Error naming the file if it cannot be written.
  void save_png(const std::string& path) const;

 private:
  int width_, height_;
  std::vector<std::uint8_t> rgb_;
};

}  // namespace unet3d
