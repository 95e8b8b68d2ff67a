// Patch mode's micro-batches: b patches drawn (io/patch_plan.h) from the training volumes with a
// random stream of their own per (epoch, micro-batch), so a resumed run cuts the very same
// patches; each mirrored as its slot's flip says, then moved into the network's input and the
// labels wherever they are.
#pragma once

#include <cstdint>
#include <vector>

#include "io/resampled.h"
#include "runtime/tensor.h"

namespace unet3d {

class PatchBatches {
 public:
  PatchBatches() = default;
  // `data` must outlive this; `train` indexes its volumes.
  PatchBatches(const ResampledDataset& data, const std::vector<std::size_t>& train, Grid patch,
               std::int64_t batch, std::uint64_t seed);

  // input ([B, pd, ph, pw, 1], any dtype and device) and labels (u8 alike) := micro-batch
  // `micro_batch` of `epoch`, slot b mirrored along flips[b].
  void fill(std::int64_t epoch, std::int64_t micro_batch, const std::vector<unsigned>& flips,
            Tensor& input, Tensor& labels);

 private:
  const ResampledDataset* data_ = nullptr;
  std::vector<LabelledVolume> volumes_;  // the training volumes, in `train` order
  std::vector<std::size_t> train_;
  Grid patch_{0, 0, 0};
  std::uint64_t seed_ = 0;
  Tensor cut_images_, cut_labels_, images_, labels_;  // host staging, [B, pd, ph, pw, 1]
  Tensor moved_;  // mixed precision: the f32 patches on the device, before the cast
};

}  // namespace unet3d
