// The BatchNorm running statistics kept as the last optimizer step left them, so that a training
// run stopped by a signal between two steps saves those, not a half-accumulated step's.
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// statistics_at_step := statistics (the same shape, dtype and device), queued on the device's
// stream: nothing waits for it.
void snapshot_statistics(const Tensor& statistics, Tensor& statistics_at_step);

}  // namespace unet3d
