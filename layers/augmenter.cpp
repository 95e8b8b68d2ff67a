// One sample's augmentation, transform after transform, on the device of its data.
#include "layers/augmenter.h"

#include <utility>

#include "kernels/augment.h"
#include "kernels/elementwise.h"
#include "kernels/flip.h"
#include "kernels/resize.h"
#include "runtime/error.h"

namespace unet3d {

Tensor grown_view(Tensor& storage, Shape shape, DType dtype, Device device) {
  const std::size_t bytes = static_cast<std::size_t>(shape.numel()) * dtype_size(dtype);
  if (storage.bytes() < bytes || storage.device() != device)
    storage = Tensor(Shape::vector(static_cast<std::int64_t>(bytes)), DType::u8, device);
  return Tensor::view(storage.data(), shape, dtype, device);
}

void Augmenter::apply(const Augmentation& a, const Tensor& image, const Tensor& labels,
                      Tensor& image_slot, Tensor& label_slot) {
  const Device device = image_slot.device();
  const Shape out = image_slot.shape();
  UNET3D_USAGE_CHECK(image.shape().n == 1 && out.n == 1 && image.shape().c == out.c &&
                         image.device() == device && labels.device() == device &&
                         label_slot.device() == device,
                     "Augmenter: source ", image.describe(), " for slot ", image_slot.describe());
  UNET3D_USAGE_CHECK(a.spatial || image.shape() == out,
                     "Augmenter: without a spatial transform the source ", image.describe(),
                     " must have the slot's shape ", out.str());
  Tensor source = image.alias();
  if (image.dtype() != DType::f32) {
    source = grown_view(source_, image.shape(), DType::f32, device);
    cast({image, source});
  }
  Tensor work = grown_view(work_, out, DType::f32, device);
  Tensor work_labels = grown_view(labels_, label_slot.shape(), DType::u8, device);
  if (a.spatial) {
    affine_resample({source, labels, sampling_matrix(a), work, work_labels});
  } else {
    copy({source, work});
    copy({labels, work_labels});
  }
  Tensor scratch = grown_view(scratch_, out, DType::f32, device);
  if (a.noise_sigma > 0) add_gaussian_noise({work, a.noise_sigma, a.noise_seed});
  if (a.blur_sigma > 0) gaussian_blur({work, scratch, a.blur_sigma});
  if (a.brightness != 1) affine({work, a.brightness, 0.0, work});
  Tensor statistics =
      grown_view(statistics_, Shape::vector(statistics_elements(out.c)), DType::f64, device);
  if (a.contrast != 1) {
    intensity_statistics({work, statistics});
    adjust_contrast({work, statistics, a.contrast});
  }
  if (a.lowres != 1) {
    const Grid coarse_grid = lowres_grid({out.d, out.h, out.w}, a.lowres);
    Tensor coarse = grown_view(coarse_, {1, coarse_grid.d, coarse_grid.h, coarse_grid.w, out.c},
                               DType::f32, device);
    resize_nearest({work, coarse});
    resize_trilinear({coarse, work});
  }
  const std::pair<float, bool> gammas[] = {{a.inverted_gamma, true}, {a.gamma, false}};
  for (const auto& [gamma, inverted] : gammas)
    if (gamma > 0) {
      intensity_statistics({work, statistics});
      adjust_gamma({work, statistics, gamma, inverted});
    }
  flip({work_labels, label_slot, a.flips});
  if (image_slot.dtype() == DType::f32) {
    flip({work, image_slot, a.flips});
  } else {
    flip({work, scratch, a.flips});
    cast({scratch, image_slot});
  }
}

}  // namespace unet3d
