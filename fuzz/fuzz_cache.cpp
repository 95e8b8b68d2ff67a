// The preprocessing cache's readers (io/cache_file.h) on arbitrary bytes, past the checksums
// (a mutated file seldom keeps them; what they guard is what is fuzzed here): every input must
// read as a dataset of either mode or end in the project's Error, and what it reads must hold
// together (tensor sizes, labels within the classes, names for every class).
#include "fuzz/fuzz_input_file.h"
#include "io/cache_file.h"
#include "runtime/error.h"

namespace {

void check_labels(const std::uint8_t* labels, std::size_t n, int classes) {
  for (std::size_t i = 0; i < n; ++i)
    if (labels[i] >= classes) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = unet3d::fuzzing::input_file(data, size, ".safetensors");
  unet3d::SafetensorsFile file;
  try {
    file = unet3d::read_safetensors(path);
  } catch (const unet3d::Error&) {
    return 0;
  }
  try {
    const unet3d::PreprocessedDataset d = unet3d::resized_of(file, path);
    const auto cases = static_cast<std::int64_t>(d.cases.size());
    if (d.images.shape().n != cases || d.labels.shape().n != cases ||
        d.class_names.size() != static_cast<std::size_t>(d.num_classes))
      __builtin_trap();
    check_labels(d.labels.data_as<std::uint8_t>(), static_cast<std::size_t>(d.labels.numel()),
                 d.num_classes);
  } catch (const unet3d::Error&) {
  }
  try {
    const unet3d::ResampledDataset d = unet3d::resampled_of(file, path);
    if (d.volumes.size() != d.cases.size() ||
        d.class_names.size() != static_cast<std::size_t>(d.num_classes))
      __builtin_trap();
    for (const unet3d::ResampledVolume& v : d.volumes) {
      if (v.labels.size() != static_cast<std::size_t>(v.grid.voxels()) ||
          v.image.size() != v.labels.size() * static_cast<std::size_t>(d.channels))
        __builtin_trap();
      check_labels(v.labels.data(), v.labels.size(), d.num_classes);
    }
  } catch (const unet3d::Error&) {
  }
  return 0;
}
