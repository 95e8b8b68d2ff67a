// metrics.csv, kept in memory and rewritten through an AtomicFile.
#include "tools/run/metrics_file.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "runtime/atomic_file.h"

namespace unet3d {

std::string metrics_header(const std::vector<std::string>& classes, bool hd95) {
  std::string h = "epoch,train_loss,val_loss";
  for (const std::string& c : classes) h += ",val_dice_" + c;
  h += ",val_dice_mean";
  if (hd95)
    for (const std::string& c : classes) h += ",val_hd95_" + c;
  return h + ",lr,loss_scale,seconds,voxels_per_s";
}

std::string metrics_cell(double v, bool present) {
  if (!present || std::isnan(v)) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6f", v);
  return buffer;
}

MetricsFile::MetricsFile(std::filesystem::path path, const std::string& header,
                         std::int64_t epochs_kept)
    : path_(std::move(path)) {
  lines_.push_back(header);
  std::ifstream in(path_);
  std::string line;
  for (bool first = true; std::getline(in, line); first = false) {
    if (first || line.empty()) continue;
    std::int64_t epoch = 0;
    const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), epoch);
    if (error == std::errc() && epoch >= 1 && epoch <= epochs_kept) lines_.push_back(line);
  }
  save();
}

void MetricsFile::add(const std::string& row) {
  lines_.push_back(row);
  save();
}

void MetricsFile::save() const {
  std::string text;
  for (const std::string& l : lines_) text += l + "\n";
  write_file_atomically(path_.string(), text);
}

}  // namespace unet3d
