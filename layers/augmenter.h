// Applies one sample's drawn augmentation (layers/augmentation.h) where its data lives, with
// workspaces kept from call to call (grown when a larger source comes), in nnU-Net's order: the
// rotation and scaling as one affine resample, noise, blur, brightness, contrast, lowres,
// inverted gamma, gamma, flips. Images are augmented in f32 whatever the slot's dtype.
#pragma once

#include "layers/augmentation.h"
#include "runtime/tensor.h"

namespace unet3d {

// A tensor of `shape` and `dtype` on `device` over `storage`, which is reallocated when it is too
// small (or elsewhere): a workspace that stops allocating once it has seen the largest request.
Tensor grown_view(Tensor& storage, Shape shape, DType dtype, Device device);

class Augmenter {
 public:
  // image_slot ([1, d, h, w, C], f32 or f16) and label_slot ([1, d, h, w, 1] u8) := sample `a`
  // of the source (image [1, sd, sh, sw, C], f32 or f16, and its u8 labels, on the slots'
  // device). A spatial draw samples the source about its centre; otherwise the source has the
  // slot's grid. Every channel gets the same draw; contrast and gamma use each channel's own
  // mean, minimum and maximum.
  void apply(const Augmentation& a, const Tensor& image, const Tensor& labels, Tensor& image_slot,
             Tensor& label_slot);

 private:
  Tensor source_, work_, scratch_, labels_, coarse_, statistics_;
};

}  // namespace unet3d
