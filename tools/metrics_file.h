// A run's metrics.csv: a header and one row per finished epoch, rewritten whole (atomically) as
// each row is added. On resume, the rows of epochs the checkpoint does not hold (written before a
// failure that stopped the run) are dropped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace unet3d {

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
