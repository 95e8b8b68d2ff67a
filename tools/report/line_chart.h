// A line chart of training curves as a PNG: epochs along x, each series a coloured line with a
// marker of its own shape at every value (markers that would overlap set side by side), and a
// legend of the series' names.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tools/report/canvas.h"

namespace unet3d {

struct Series {
  std::string name;
  std::vector<double> x, y;  // NaN y: no value at that x
  Color color;
};

// `unit_range`: y runs from 0 to 1 (Dice); else it spans the values, padded.
void line_chart(const std::filesystem::path& path, const std::string& title,
                const std::string& x_label, const std::string& y_label,
                const std::vector<Series>& series, bool unit_range);

}  // namespace unet3d
