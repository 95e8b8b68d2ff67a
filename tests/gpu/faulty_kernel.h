// A deliberately wrong CUDA kernel, for proving that the parity helper catches it.
#pragma once

#include "runtime/tensor.h"

namespace unet3d::testing {

// relu over every element but the last, which is left as it was.
void relu_forward_skipping_last(const Tensor& x, Tensor& y);

}  // namespace unet3d::testing
