// A small RGB canvas for the run's pictures: rectangles, lines, text in a 5x7 bitmap font
// (upper case, digits and common punctuation, scaled up), saved as PNG with stb_image_write.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unet3d {

struct Color {
  std::uint8_t r, g, b;
};

class Canvas {
 public:
  Canvas(int width, int height, Color background);
  int width() const { return width_; }
  int height() const { return height_; }

  void pixel(int x, int y, Color c, double alpha = 1.0);
  void rect(int x, int y, int w, int h, Color c);
  void line(int x0, int y0, int x1, int y1, Color c, int thickness = 1);
  // Text with its top-left corner at (x, y); each glyph is 6*scale wide, 8*scale tall.
  void text(int x, int y, const std::string& s, Color c, int scale = 2);
  static int text_width(const std::string& s, int scale = 2) {
    return static_cast<int>(s.size()) * 6 * scale;
  }
  // A runtime Error naming the file if it cannot be written.
  void save_png(const std::string& path) const;

 private:
  int width_, height_;
  std::vector<std::uint8_t> rgb_;
};

}  // namespace unet3d
