// Cutting, mirroring and moving patch mode's micro-batches.
#include "tools/patch_batches.h"

#include "kernels/elementwise.h"
#include "kernels/flip.h"
#include "runtime/rng.h"

namespace unet3d {

PatchBatches::PatchBatches(const ResampledDataset& data, const std::vector<std::size_t>& train,
                           Grid patch, std::int64_t batch, std::uint64_t seed)
    : data_(&data),
      train_(train),
      patch_(patch),
      seed_(seed),
      cut_images_({batch, patch.d, patch.h, patch.w, 1}, DType::f32),
      cut_labels_({batch, patch.d, patch.h, patch.w, 1}, DType::u8),
      images_({batch, patch.d, patch.h, patch.w, 1}, DType::f32),
      labels_({batch, patch.d, patch.h, patch.w, 1}, DType::u8) {
  for (const std::size_t i : train_)
    volumes_.push_back({data.volumes[i].grid, data.volumes[i].labels.data()});
}

void PatchBatches::fill(std::int64_t epoch, std::int64_t micro_batch,
                        const std::vector<unsigned>& flips, Tensor& input, Tensor& labels) {
  const std::int64_t batch = images_.shape().n;
  Rng rng(seed_ * 2654435761ull + (static_cast<std::uint64_t>(epoch) << 32) +
          static_cast<std::uint64_t>(micro_batch) + 1);
  const std::vector<PatchCut> cuts = draw_patches(rng, batch, volumes_, patch_, data_->num_classes);
  for (std::int64_t b = 0; b < batch; ++b) {
    const PatchCut& cut = cuts[static_cast<std::size_t>(b)];
    const auto v = static_cast<std::size_t>(cut.case_index);
    Tensor image = cut_images_.item(b), label = cut_labels_.item(b);
    cut_patch(volumes_[v], data_->volumes[train_[v]].image.data(), cut, patch_,
              image.data_as<float>(), label.data_as<std::uint8_t>());
    Tensor image_slot = images_.item(b), label_slot = labels_.item(b);
    const unsigned axes = flips.empty() ? 0 : flips[static_cast<std::size_t>(b)];
    flip(image, image_slot, axes);
    flip(label, label_slot, axes);
  }
  if (input.dtype() == DType::f32) {
    input.copy_from(images_);
  } else {  // mixed precision: moved as f32 (allocated once), cast on the device
    if (moved_.numel() == 0) moved_ = Tensor(images_.shape(), DType::f32, input.device());
    moved_.copy_from(images_);
    cast(moved_, input);
  }
  labels.copy_from(labels_);
}

}  // namespace unet3d
