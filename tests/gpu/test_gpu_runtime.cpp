// The CUDA runtime pieces: copies across devices, the context, and an arena loop on the GPU
// that allocates nothing.
#include <catch2/catch.hpp>

#include "kernels/elementwise.h"
#include "kernels/reduce.h"
#include "runtime/arena.h"
#include "runtime/cuda_context.h"
#include "runtime/gpu_runtime.h"
#include "tests/support/compare.h"
#include "tests/support/parity.h"

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
  Arena arena(Device::cuda);
  const Arena::Slot x = arena.plan({2, 9, 10, 11, 3}, DType::f16);
  const Arena::Slot y = arena.plan({2, 9, 10, 11, 3}, DType::f16);
  const Arena::Slot s = arena.plan(Shape::scalar(), DType::f32);
  arena.commit();
  gpu::Context::get();  // created outside the loop, like a model's setup

  const auto before = memory_stats().allocations;
  for (int step = 0; step < 10; ++step) {
    Tensor tx = arena.view(x);
    Tensor ty = arena.view(y);
    Tensor ts = arena.view(s);
    fill_uniform(tx, static_cast<std::uint64_t>(step), -1.0f, 1.0f);
    relu_forward(tx, ty);
    relu_backward(ty, tx, tx);
    add(tx, ty, ty);
    scale(ty, 0.5, ty);
    sum_of_squares(ty, ts);
  }
  gpu::synchronize();
  CHECK(memory_stats().allocations == before);
}
