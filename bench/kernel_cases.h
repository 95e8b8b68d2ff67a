// The kernel benchmarks: every hand-written kernel and each convolution, forward and backward,
// at the shapes of the UNet3D's first level (its largest activations), and Adam over all of its
// parameters.
#pragma once

#include "bench/harness.h"

namespace unet3d::bench {

struct KernelShapes {
  std::int64_t batch, size, features, classes, parameters;
  DType data;    // activations: f16 or f32
  DType master;  // statistics, weight gradients, Adam's state: f32
};

// Adds the selected cases to `harness`, building each case's operands only when it is selected.
void add_kernel_cases(Harness& harness, const KernelShapes& shapes);

}  // namespace unet3d::bench
