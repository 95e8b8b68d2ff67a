// Grow-only scratch memory for the duration of one call (padded inputs, packed weights,
// per-thread sums, GEMM temporaries), on either device. It is reallocated only when a larger size
// is first asked for, which happens while a model runs its first step, so later steps allocate
// nothing.
#pragma once

#include <cstddef>

#include "runtime/device.h"

namespace unet3d {

// At least `bytes` on `device`, valid until the next workspace() call for that device (on the
// CPU: by this thread). Contents are undefined.
void* workspace(Device device, std::size_t bytes);

}  // namespace unet3d
