// The CUDA runtime pieces: copies across devices, the context, and an arena loop on the GPU
// that allocates nothing.
#include <catch2/catch.hpp>

#include "kernels/elementwise.h"
#include "runtime/cuda_context.h"
#include "tests/support/arena_loop.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

TEST_CASE("tensors round-trip host -> device -> device -> host", "[runtime]") {
  const Tensor host = random_tensor({2, 3, 5, 7, 11}, DType::f32, 1);
  const Tensor on_gpu = host.to(Device::cuda);
  Tensor second(host.shape(), DType::f32, Device::cuda);
  copy(on_gpu, second);
  const Tensor back = second.to(Device::cpu);
  CHECK(compare(back, host, tolerance(Check::exact)).ok);
}

TEST_CASE("the context holds a stream and library handles", "[runtime]") {
  gpu::Context& context = gpu::Context::get();
  CHECK(context.stream() != nullptr);
  CHECK(context.cudnn() != nullptr);
  CHECK(context.cublas() != nullptr);
  void* small = context.workspace(1024);
  CHECK(context.workspace(512) == small);  // never shrinks or reallocates for less
}

TEST_CASE("a loop over GPU arena tensors allocates nothing", "[runtime][arena]") {
  CHECK(allocations_in_arena_loop(Device::cuda, DType::f16) == 0);
  CHECK(allocations_in_arena_loop(Device::cuda, DType::f32) == 0);
}
