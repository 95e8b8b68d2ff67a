// Label maps, Dice counts and ensemble segmentations through the kernels.
#include "layers/scoring.h"

#include "kernels/elementwise.h"
#include "kernels/metrics.h"
#include "kernels/resize.h"
#include "layers/inference.h"

namespace unet3d {

void grid_segmentation(const Tensor& scores, Tensor& labels) {
  argmax_channels({scores, labels});
}

void overlap_counts(const Tensor& prediction, const Tensor& truth, Tensor& counts) {
  dice_counts({prediction, truth, counts});
}

void ensemble_segmentation(std::int64_t classes, std::size_t models,
                           const std::function<Tensor(std::size_t)>& model_probabilities,
                           Tensor& segmentation, Tensor* probabilities) {
  const Shape native = segmentation.shape().with_channels(classes);
  Tensor sum(native, DType::f32, segmentation.device()),
      one(native, DType::f32, segmentation.device());
  fill({sum, 0.0});
  for (std::size_t m = 0; m < models; ++m) {
    resize_trilinear({widened_probabilities(model_probabilities(m)), one});
    add({sum, one, sum});
  }
  affine({sum, 1.0 / static_cast<double>(models), 0.0, sum});
  argmax_channels({sum, segmentation});
  if (probabilities != nullptr) copy({sum, *probabilities});
}

}  // namespace unet3d
