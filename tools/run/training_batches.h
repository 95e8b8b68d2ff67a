// The training micro-batches of both modes, augmented (layers/augmenter.h) where the network's
// input lives. Resize mode: whole preprocessed volumes. Patch mode: b patches drawn (io/
// patch_plan.h) from the training volumes with a random stream of their own per (epoch,
// micro-batch), so a resumed run cuts the very same patches; a patch whose draw rotates or scales
// it is resampled from the larger region around it that keeps its corners inside real data.
#pragma once

#include <cstdint>
#include <vector>

#include "io/preprocess.h"
#include "io/resampled.h"
#include "layers/augmenter.h"
#include "runtime/tensor.h"

namespace unet3d {

// The epoch's order of training cases: Fisher-Yates with a stream of its own per epoch, so a
// resumed run (and every rank of a data-parallel one) draws the very same order.
std::vector<std::size_t> epoch_order(std::vector<std::size_t> cases, std::uint64_t seed,
                                     std::int64_t epoch);

class VolumeBatches {
 public:
  VolumeBatches() = default;
  // `data` (the dataset on the training device) must outlive this.
  explicit VolumeBatches(const PreprocessedDataset& data) : data_(&data) {}

  // input ([B, S, S, S, channels]) and labels ([B, S, S, S, 1]) := slot b case cases[b] augmented
  // by augmentations[b].
  void fill(const std::vector<std::size_t>& cases, const std::vector<Augmentation>& augmentations,
            Tensor& input, Tensor& labels);

 private:
  const PreprocessedDataset* data_ = nullptr;
  Augmenter augmenter_;
};

class PatchBatches {
 public:
  PatchBatches() = default;
  // `data` must outlive this; `train` indexes its volumes.
  PatchBatches(const ResampledDataset& data, const std::vector<std::size_t>& train, Grid patch,
               std::uint64_t seed);

  // input ([B, pd, ph, pw, channels], any dtype and device) and labels ([B, pd, ph, pw, 1] u8) :=
  // micro-batch `micro_batch` of `epoch`, slot b augmented by augmentations[b].
  void fill(std::int64_t epoch, std::int64_t micro_batch,
            const std::vector<Augmentation>& augmentations, Tensor& input, Tensor& labels);

 private:
  const ResampledDataset* data_ = nullptr;
  std::vector<LabelledVolume> volumes_;  // the training volumes, in `train` order
  std::vector<std::size_t> train_;
  Grid patch_{0, 0, 0};
  std::uint64_t seed_ = 0;
  Tensor cut_image_, cut_labels_;      // host staging of one patch or region
  Tensor moved_image_, moved_labels_;  // the same on the device, when training there
  Augmenter augmenter_;
};

}  // namespace unet3d
