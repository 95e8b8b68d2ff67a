// A stand-in for a training step built on an Arena.
#include "tests/support/arena_loop.h"

#include "kernels/elementwise.h"
#include "kernels/reduce.h"
#include "runtime/arena.h"

namespace unet3d::testing {

std::int64_t allocations_in_arena_loop(Device device, DType dtype) {
  Arena arena(device);
  const Arena::Slot x = arena.plan({2, 5, 6, 7, 3}, dtype);
  const Arena::Slot y = arena.plan({2, 5, 6, 7, 3}, dtype);
  const Arena::Slot s = arena.plan(Shape::scalar(), DType::f32);
  arena.commit();
  {
    // The first reduction creates the GPU context (and its scratch), as a model's setup would.
    Tensor tx = arena.view(x);
    Tensor ts = arena.view(s);
    sum({tx, ts});
  }

  const std::int64_t before = memory_stats().allocations;
  for (int step = 0; step < 10; ++step) {
    Tensor tx = arena.view(x);
    Tensor ty = arena.view(y);
    Tensor ts = arena.view(s);
    fill_uniform({tx, static_cast<std::uint64_t>(step), -1.0f, 1.0f});
    relu_forward({tx, ty});
    relu_backward({ty, tx, tx});
    add({tx, ty, ty});
    affine({ty, 0.5, 0.0, ty});
    copy({ty, tx});
    sum_of_squares({ty, ts});
  }
  return memory_stats().allocations - before;
}

}  // namespace unet3d::testing
