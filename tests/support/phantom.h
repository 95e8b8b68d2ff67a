// A small volume a network can learn, for training tests: a ball (class 1) and a slab (class 2)
// on background, the image brighter inside each, with noise from the project's RNG.
#pragma once

#include <cstdint>

#include "runtime/tensor.h"

namespace unet3d::testing {

// image: [N, D, H, W, 1] f32 and labels: [N, D, H, W, 1] u8, both on the CPU.
void fill_phantom(Tensor& image, Tensor& labels, std::uint64_t seed);

}  // namespace unet3d::testing
