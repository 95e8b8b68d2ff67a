// From image/label pairs to the tensors training reads (docs/data.md): each image resized to
// S^3 (trilinear, PyTorch's float32 rule) and z-scored, each label map resized (nearest-exact),
// on whichever device does the work; the result cached on disk (keyed by this code's version,
// the size and the inputs' paths, sizes and times) so the next run skips decoding and resizing;
// and moved whole onto the GPU when training runs there.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/normalization.h"
#include "runtime/tensor.h"

namespace unet3d {

struct CaseInfo {
  std::string name, patient;
  std::vector<std::string> image_paths;  // one per channel (none for generated cases)
  std::string label_path;
  NiftiGeometry geometry;  // the native grid, for results in native space
};

struct PreprocessedDataset {
  std::int64_t size = 0;
  int num_classes = 0;
  std::vector<std::string> class_names;
  std::vector<CaseInfo> cases;
  Tensor images;  // [cases, S, S, S, channels], f32 (f16 once moved for mixed precision)
  Tensor labels;  // [cases, S, S, S, 1], u8

  std::int64_t channels() const { return images.shape().c; }
  // Views of one case, [1, S, S, S, channels] and [1, S, S, S, 1].
  Tensor image(std::size_t i) const;
  Tensor label(std::size_t i) const;
  // A copy on `device` with images in `dtype` (labels stay u8).
  PreprocessedDataset to(Device device, DType dtype) const;
};

struct CacheOptions {
  bool enabled = true;
  std::string dir;  // empty: $XDG_CACHE_HOME/unet3d, else ~/.cache/unet3d (absolute ones only)
};

struct PreprocessReport {
  bool from_cache = false;
  std::string cache_file;  // empty when caching is off
  double seconds = 0;
};

// num_classes 0: the dataset's class names if it has them, else the largest label + 1.
// `work` is where resizing runs (the GPU when there is one); the result is on the CPU.
PreprocessedDataset preprocess_dataset(const DatasetIndex& index, std::int64_t size,
                                       int num_classes, Device work, const CacheOptions& cache,
                                       PreprocessReport* report = nullptr,
                                       const Normalization& normalization = {});

// The same from cases already in memory (generated phantoms): load(i) gives case i, whose
// geometry fills cases[i]. num_classes 0: the largest label + 1 (class_names used if they fit).
PreprocessedDataset preprocess_cases(std::vector<CaseInfo> cases,
                                     const std::function<LoadedCase(std::size_t)>& load,
                                     std::int64_t size, int num_classes,
                                     const std::vector<std::string>& class_names, Device work,
                                     const Normalization& normalization = {});

// One image ([1, D, H, W, 1] f32) resized into `out` ([1, S, S, S, 1], same device) and
// z-scored: (x - mean) / max(std, 1e-8), population std. NaN or inf in the image is a data
// Error naming `source`.
void preprocess_image(const Tensor& image, Tensor& out, const std::string& source);

// A volume's channels (volume.channels of them, one after the other) resized into `out` ([1, d,
// h, w, channels], f16 or f32, any device), each normalised on its own: z-scored as
// preprocess_image, or, for a CT entry of `normalization`, clipped to [lo, hi] and z-scored with
// its mean and std.
void preprocess_channels(const NiftiVolume& volume, Tensor& out, const std::string& source,
                         const Normalization& normalization = {});

// Case `index` into one slot of a batch ([1, S, S, S, channels] image in the dataset's dtype and u8
// labels, on the dataset's device). Training's augmented slots: tools/run/training_batches.h.
void copy_case(const PreprocessedDataset& data, std::size_t index, Tensor& image_slot,
               Tensor& label_slot);
// A batch: slot b of `images` and `labels` ([B, S, S, S, 1]) := case cases[b].
void copy_batch(const PreprocessedDataset& data, const std::vector<std::size_t>& cases,
                Tensor& images, Tensor& labels);

}  // namespace unet3d
