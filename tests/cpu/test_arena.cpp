// Arena: planned once, allocated once, carved without allocating.
#include <catch2/catch.hpp>

#include "kernels/elementwise.h"
#include "runtime/arena.h"
#include "tests/support/arena_loop.h"

using namespace unet3d;

TEST_CASE("arena carves aligned, disjoint views from one allocation", "[arena]") {
  Arena arena(Device::cpu);
  const Arena::Slot a = arena.plan({1, 3, 5, 7, 3}, DType::f32);  // 315 elements, odd bytes
  const Arena::Slot b = arena.plan({1, 1, 1, 1, 1}, DType::f16);
  const Arena::Slot c = arena.plan({2, 2, 2, 2, 2}, DType::f64);
  CHECK(a.offset % Arena::kAlignment == 0);
  CHECK(b.offset % Arena::kAlignment == 0);
  CHECK(c.offset % Arena::kAlignment == 0);
  CHECK(b.offset >= a.offset + 315 * 4);
  CHECK(c.offset >= b.offset + 2);

  const auto before = memory_stats().allocations;
  arena.commit();
  CHECK(memory_stats().allocations == before + 1);

  Tensor ta = arena.view(a);
  Tensor tc = arena.view(c);
  fill({ta, 1.5});
  fill({tc, -2.0});
  CHECK(ta.data_as<float>()[314] == 1.5f);
  CHECK(tc.data_as<double>()[0] == -2.0);
}

TEST_CASE("a loop over arena tensors allocates nothing", "[arena]") {
  CHECK(testing::allocations_in_arena_loop(Device::cpu, DType::f32) == 0);
  CHECK(testing::allocations_in_arena_loop(Device::cpu, DType::f16) == 0);
}

TEST_CASE("arena misuse is a usage error", "[arena]") {
  Arena arena(Device::cpu);
  const Arena::Slot a = arena.plan({1, 1, 1, 1, 8}, DType::f32);
  CHECK_THROWS_WITH(arena.view(a), Catch::Contains("before commit"));
  arena.commit();
  CHECK_THROWS_WITH(arena.plan({1, 1, 1, 1, 8}, DType::f32), Catch::Contains("after commit"));
  CHECK_THROWS_WITH(arena.commit(), Catch::Contains("twice"));
}
