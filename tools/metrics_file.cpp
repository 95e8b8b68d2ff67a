// metrics.csv, kept in memory and rewritten through an AtomicFile.
#include "tools/metrics_file.h"

#include <charconv>
#include <fstream>

#include "runtime/atomic_file.h"

namespace unet3d {

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
