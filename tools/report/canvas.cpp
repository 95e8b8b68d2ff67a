// The canvas, its bitmap font, and PNG output.
#include "tools/report/canvas.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

#include "runtime/atomic_file.h"
#include "runtime/error.h"

namespace unet3d {
namespace {

// 5x7 glyphs, one byte per row, bit 4 the leftmost column.
const std::map<char, std::array<std::uint8_t, 7>>& font() {
  static const std::map<char, std::array<std::uint8_t, 7>> glyphs = {
      {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
      {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
      {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}},
      {'D', {0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E}},
      {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}},
      {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
      {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}},
      {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
      {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
      {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
      {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
      {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
      {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}},
      {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
      {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
      {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
      {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}},
      {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
      {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}},
      {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
      {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
      {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
      {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}},
      {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
      {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}},
      {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
      {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
      {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
      {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
      {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
      {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
      {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
      {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
      {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
      {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
      {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
      {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}},
      {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}},
      {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F}},
      {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}},
      {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
      {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
      {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
      {',', {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}},
      {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
      {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}},
      {'^', {0x04, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x00}},
      {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}},
      {'?', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04}},
      {'!', {0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04}},
      {'\'', {0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00}},
      {'*', {0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00}},
      {'<', {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02}},
      {'>', {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08}},
      {'[', {0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E}},
      {']', {0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E}},
      {'#', {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A}},
      {'&', {0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D}},
  };
  return glyphs;
}

// Whether (dx, dy) from a marker's centre is inside the marker `shape` of radius r.
bool in_marker(int shape, int dx, int dy, int r) {
  const int ax = std::abs(dx), ay = std::abs(dy);
  if (ax > r || ay > r) return false;
  switch (shape % 8) {
    case 0: return true;
    case 1: return dx * dx + dy * dy <= r * r + r;
    case 2: return 2 * ax <= dy + r;  // a triangle pointing up
    case 3: return ax + ay <= r;
    case 4: return 2 * ax <= r - dy;  // pointing down
    case 5: return std::abs(ax - ay) <= 1;
    case 6: return ax <= 1 || ay <= 1;
    default: return ax >= r - 1 || ay >= r - 1;  // a hollow square
  }
}

}  // namespace

Canvas::Canvas(int width, int height, Color background)
    : width_(width), height_(height), rgb_(static_cast<std::size_t>(width * height * 3)) {
  rect(0, 0, width, height, background);
}

void Canvas::pixel(int x, int y, Color c, double alpha) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  std::uint8_t* p = &rgb_[static_cast<std::size_t>((y * width_ + x) * 3)];
  const Color in{c.r, c.g, c.b};
  const std::uint8_t channels[3] = {in.r, in.g, in.b};
  for (int k = 0; k < 3; ++k)
    p[k] = static_cast<std::uint8_t>(std::lround(p[k] * (1 - alpha) + channels[k] * alpha));
}

void Canvas::rect(int x, int y, int w, int h, Color c) {
  for (int j = std::max(0, y); j < std::min(height_, y + h); ++j)
    for (int i = std::max(0, x); i < std::min(width_, x + w); ++i) pixel(i, j, c);
}

void Canvas::line(int x0, int y0, int x1, int y1, Color c, int thickness) {
  const int steps = std::max({std::abs(x1 - x0), std::abs(y1 - y0), 1});
  for (int s = 0; s <= steps; ++s) {
    const int x = x0 + (x1 - x0) * s / steps, y = y0 + (y1 - y0) * s / steps;
    rect(x - thickness / 2, y - thickness / 2, thickness, thickness, c);
  }
}

void Canvas::marker(int x, int y, int shape, Color c, Color ring) {
  constexpr int r = 4;
  for (int dy = -r - 1; dy <= r + 1; ++dy)
    for (int dx = -r - 1; dx <= r + 1; ++dx) {
      if (in_marker(shape, dx, dy, r)) {
        pixel(x + dx, y + dy, c);
        continue;
      }
      bool edge = false;  // outside the shape, beside it
      for (int ny = -1; ny <= 1 && !edge; ++ny)
        for (int nx = -1; nx <= 1; ++nx) edge = edge || in_marker(shape, dx + nx, dy + ny, r);
      if (edge) pixel(x + dx, y + dy, ring);
    }
}

void Canvas::text(int x, int y, const std::string& s, Color c, int scale) {
  for (std::size_t k = 0; k < s.size(); ++k) {
    const auto glyph =
        font().find(static_cast<char>(std::toupper(static_cast<unsigned char>(s[k]))));
    if (glyph == font().end()) continue;  // spaces and unknown characters leave a gap
    for (int row = 0; row < 7; ++row)
      for (int col = 0; col < 5; ++col)
        if (glyph->second[static_cast<std::size_t>(row)] & (0x10 >> col))
          rect(x + (static_cast<int>(k) * 6 + col) * scale, y + row * scale, scale, scale, c);
  }
}

Color Canvas::at(int x, int y) const {
  if (x < 0 || y < 0 || x >= width_ || y >= height_)
    throw Error(ErrorKind::runtime, concat("Canvas::at(", x, ", ", y, ") lies outside the canvas"));
  const std::uint8_t* p = &rgb_[static_cast<std::size_t>((y * width_ + x) * 3)];
  return {p[0], p[1], p[2]};
}

namespace {

// Adds `s` to `line` and `lines`, starting a line where the next piece does not fit: pieces end
// at runs of at least `gap` spaces (the run dropped at a cut, kept inside a line); a piece too
// wide for a line of its own is added again with a gap of one space less, and with a gap of 0
// cut between its characters.
void pack(const std::string& s, std::size_t gap,
          const std::function<bool(const std::string&)>& fits, std::vector<std::string>& lines,
          std::string& line) {
  if (gap == 0) {
    for (const char ch : s) {
      if (!line.empty() && !fits(line + ch)) lines.push_back(line), line.clear();
      line += ch;
    }
    return;
  }
  const std::string cut(gap, ' ');
  std::size_t k = 0;
  while (k < s.size()) {
    const std::size_t start = s.find_first_not_of(' ', k);
    if (start == std::string::npos) break;
    const std::size_t end = std::min(s.find(cut, start), s.size());
    const std::string spaces = s.substr(k, start - k), piece = s.substr(start, end - start);
    k = end;
    if (!line.empty() && fits(line + spaces + piece)) {
      line += spaces + piece;
      continue;
    }
    if (!line.empty()) lines.push_back(line), line.clear();
    if (fits(piece))
      line = piece;
    else
      pack(piece, gap - 1, fits, lines, line);
  }
}

}  // namespace

std::vector<std::string> Canvas::wrap(const std::string& s, int max_width, int scale) {
  std::vector<std::string> lines;
  std::string line;
  pack(
      s, 2, [&](const std::string& t) { return text_width(t, scale) <= max_width; }, lines, line);
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

int Canvas::paragraph(int x, int y, int max_width, const std::string& s, Color c, int scale) {
  const std::vector<std::string> lines = wrap(s, max_width, scale);
  for (std::size_t k = 0; k < lines.size(); ++k)
    text(x, y + static_cast<int>(k) * line_height(scale), lines[k], c, scale);
  return static_cast<int>(lines.size());
}

void Canvas::save_png(const std::string& path) const {
  std::string png;
  const auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<std::size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &png, width_, height_, 3, rgb_.data(), width_ * 3))
    throw Error(ErrorKind::runtime, concat("cannot encode the picture ", path));
  write_file_atomically(path, png);
}

}  // namespace unet3d
