// What follows the network when a volume is segmented (docs/formats.md, "Inference in native
// space"): the class probabilities of its logits, and the label map on the volume's own grid,
// the probabilities resampled there (trilinear) and argmax'd (the lowest class wins ties).
// Used by predict and by the test report's native-resolution scores.
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// probabilities ([N, S, S, S, C] f32) := softmax over the classes of logits (f16, f32 or f64).
void class_probabilities(const Tensor& logits, Tensor& probabilities);

// resampled ([1, D, H, W, C] f32, the native grid) := one volume's probabilities ([1, S, S, S,
// C] f32, or f16 widened first) resized trilinear; labels ([1, D, H, W, 1] u8) := their argmax.
void native_segmentation(const Tensor& probabilities, Tensor& resampled, Tensor& labels);
// The same labels without keeping the resampled probabilities (no native-size C-channel tensor;
// f16 probabilities are read as they are).
void native_segmentation(const Tensor& probabilities, Tensor& labels);

// probabilities itself (a view) where it is f32, else a copy cast to f32.
Tensor widened_probabilities(const Tensor& probabilities);

}  // namespace unet3d
