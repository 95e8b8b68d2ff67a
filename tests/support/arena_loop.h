// A stand-in for a training step built on an Arena: every kernel family, ten times over views.
#pragma once

#include <cstdint>

#include "runtime/device.h"
#include "runtime/dtype.h"

namespace unet3d::testing {

// Plans and commits an arena on `device`, runs the loop, and returns how many Buffers were
// allocated during the loop (after the arena and, on the GPU, the context existed): 0 is right.
std::int64_t allocations_in_arena_loop(Device device, DType dtype);

}  // namespace unet3d::testing
