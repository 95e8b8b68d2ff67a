// A run's metrics.csv: a header and one row per finished epoch, rewritten whole (atomically) as
// each row is added. On resume, the rows of epochs the checkpoint does not hold (written before a
// failure that stopped the run) are dropped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace unet3d {

// The header: epoch, losses, the validation Dice per class and their mean, with hd95 each class's
// mean validation HD95 (mm), then lr, loss_scale, seconds, voxels_per_s.
std::string metrics_header(const std::vector<std::string>& classes, bool hd95);
// A cell: `v` as %.6f, or empty where it is absent or NaN.
std::string metrics_cell(double v, bool present = true);

class MetricsFile {
 public:
  // Keeps the rows of epochs 1..epochs_kept already in `path` (none for a new run).
  MetricsFile(std::filesystem::path path, const std::string& header, std::int64_t epochs_kept);
  void add(const std::string& row);

 private:
  void save() const;

  std::filesystem::path path_;
  std::vector<std::string> lines_;
};

}  // namespace unet3d
