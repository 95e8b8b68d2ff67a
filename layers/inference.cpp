// Class probabilities and native-grid segmentations.
#include "layers/inference.h"

#include "kernels/elementwise.h"
#include "kernels/metrics.h"
#include "kernels/resize.h"
#include "kernels/softmax.h"

namespace unet3d {

void class_probabilities(const Tensor& logits, Tensor& probabilities) {
  if (logits.dtype() == DType::f32) return softmax_forward({logits, probabilities});
  // Other precisions are widened (or narrowed) to f32 in the output itself, and the softmax
  // runs there in place: no tensor of its own for every window batch.
  cast({logits, probabilities});
  softmax_forward({probabilities, probabilities});
}

Tensor widened_probabilities(const Tensor& probabilities) {
  if (probabilities.dtype() == DType::f32) return probabilities.alias();
  Tensor wide(probabilities.shape(), DType::f32, probabilities.device());
  cast({probabilities, wide});
  return wide;
}

void native_segmentation(const Tensor& probabilities, Tensor& resampled, Tensor& labels) {
  resize_trilinear({widened_probabilities(probabilities), resampled});
  argmax_channels({resampled, labels});
}

void native_segmentation(const Tensor& probabilities, Tensor& labels) {
  resize_trilinear_argmax({probabilities, labels});
}

}  // namespace unet3d
