// The preprocessing cache's files (docs/formats.md): a safetensors file whose metadata says what
// its data is (the format, the target size or spacing, channels, classes and their names, every
// case with its native geometry) and whose header and data each carry a CRC-32C. Read back, an
// entry is trusted only whole (both checksums hold, every key is there and well formed) and with
// its labels within its classes; whether it still stands for the dataset is stale_difference's.
#pragma once

#include <string>

#include "io/preprocess.h"
#include "io/resampled.h"
#include "io/safetensors.h"

namespace unet3d {

// `key`: the file's stem (preprocess_parts::cache_key), kept in the metadata.
void write_cache_file(const std::string& path, const PreprocessedDataset& d,
                      const std::string& key);
void write_cache_file(const std::string& path, const ResampledDataset& d, const std::string& key);

// A data Error naming the file where it is not a whole cache entry of that mode.
PreprocessedDataset read_resized_cache(const std::string& path);
ResampledDataset read_resampled_cache(const std::string& path);

// The same from a file already read and checksummed (the fuzz target's way past the checksums).
PreprocessedDataset resized_of(const SafetensorsFile& file, const std::string& source);
ResampledDataset resampled_of(const SafetensorsFile& file, const std::string& source);

// What a cache entry must agree with: the dataset's cases (names, channel count and each first
// channel's native grid, read from its header), the classes asked for (0: any) and their names.
struct CacheExpectation {
  const DatasetIndex* index = nullptr;
  int num_classes = 0;
};

// "" where the cached cases, channels and classes are those `expected` describes; else the first
// difference, for the warning that the entry is stale and rebuilt.
std::string stale_difference(const std::vector<CaseInfo>& cases, std::int64_t channels,
                             int num_classes, const std::vector<std::string>& class_names,
                             const CacheExpectation& expected);

}  // namespace unet3d
