// Assembling, augmenting and moving the training micro-batches.
#include "tools/run/training_batches.h"

#include "runtime/error.h"
#include "runtime/rng.h"

namespace unet3d {

std::vector<std::size_t> epoch_order(std::vector<std::size_t> cases, std::uint64_t seed,
                                     std::int64_t epoch) {
  Rng rng(seed * 1000003 + static_cast<std::uint64_t>(epoch) + 1);
  for (std::size_t i = cases.size(); i > 1; --i) std::swap(cases[i - 1], cases[rng.below(i)]);
  return cases;
}

void VolumeBatches::fill(const std::vector<std::size_t>& cases,
                         const std::vector<Augmentation>& augmentations, Tensor& input,
                         Tensor& labels) {
  UNET3D_USAGE_CHECK(static_cast<std::int64_t>(cases.size()) == input.shape().n &&
                         augmentations.size() == cases.size(),
                     "VolumeBatches: ", cases.size(), " cases and ", augmentations.size(),
                     " augmentations for ", input.describe());
  for (std::size_t b = 0; b < cases.size(); ++b) {
    Tensor image_slot = input.item(static_cast<std::int64_t>(b)),
           label_slot = labels.item(static_cast<std::int64_t>(b));
    if (augmentations[b].any())
      augmenter_.apply(augmentations[b], data_->image(cases[b]), data_->label(cases[b]), image_slot,
                       label_slot);
    else
      copy_case(*data_, cases[b], image_slot, label_slot);
  }
}

PatchBatches::PatchBatches(const ResampledDataset& data, const std::vector<std::size_t>& train,
                           Grid patch, std::uint64_t seed)
    : data_(&data), train_(train), patch_(patch), seed_(seed) {
  for (const std::size_t i : train_)
    volumes_.push_back({data.volumes[i].grid, data.volumes[i].labels.data()});
}

void PatchBatches::fill(std::int64_t epoch, std::int64_t micro_batch,
                        const std::vector<Augmentation>& augmentations, Tensor& input,
                        Tensor& labels) {
  const std::int64_t batch = input.shape().n, channels = data_->channels;
  UNET3D_USAGE_CHECK(static_cast<std::int64_t>(augmentations.size()) == batch,
                     "PatchBatches: ", augmentations.size(), " augmentations for ",
                     input.describe());
  Rng rng(seed_ * 2654435761ull + (static_cast<std::uint64_t>(epoch) << 32) +
          static_cast<std::uint64_t>(micro_batch) + 1);
  const std::vector<PatchCut> cuts = draw_patches(rng, batch, volumes_, patch_, data_->num_classes);
  for (std::int64_t b = 0; b < batch; ++b) {
    const PatchCut& cut = cuts[static_cast<std::size_t>(b)];
    const Augmentation& a = augmentations[static_cast<std::size_t>(b)];
    const auto v = static_cast<std::size_t>(cut.case_index);
    Grid origin = patch_origin(volumes_[v].grid, cut, patch_), size = patch_;
    if (a.spatial) {  // the region about the patch's centre that its resample reads
      size = source_region(sampling_matrix(a), patch_);
      origin = {origin.d - (size.d - patch_.d) / 2, origin.h - (size.h - patch_.h) / 2,
                origin.w - (size.w - patch_.w) / 2};
    }
    const Shape shape{1, size.d, size.h, size.w, 1}, image_shape = shape.with_channels(channels);
    Tensor image = grown_view(cut_image_, image_shape, DType::f32, Device::cpu);
    Tensor label = grown_view(cut_labels_, shape, DType::u8, Device::cpu);
    cut_region(volumes_[v], data_->volumes[train_[v]].image.data(), channels, origin, size,
               image.data_as<float>(), label.data_as<std::uint8_t>());
    Tensor image_slot = input.item(b), label_slot = labels.item(b);
    if (input.is_cuda()) {
      Tensor moved_image = grown_view(moved_image_, image_shape, DType::f32, input.device());
      Tensor moved_label = grown_view(moved_labels_, shape, DType::u8, input.device());
      moved_image.copy_from(image);
      moved_label.copy_from(label);
      augmenter_.apply(a, moved_image, moved_label, image_slot, label_slot);
    } else {
      augmenter_.apply(a, image, label, image_slot, label_slot);
    }
  }
}

}  // namespace unet3d
