// The CUDA runtime pieces: copies across devices, the context, an arena loop on the GPU that
// allocates nothing, and the per-channel sums' decomposition against its CPU emulation.
#include <catch2/catch.hpp>
#include <cstdio>

#include "kernels/channel_reduce_emulation.h"
#include "kernels/elementwise.h"
#include "runtime/cuda_context.h"
#include "tests/gpu/card_channel_sums.h"
#include "tests/support/arena_loop.h"
#include "tests/support/reduction_term.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

TEST_CASE("tensors round-trip host -> device -> device -> host", "[runtime][memcheck]") {
  const Tensor host = random_tensor({2, 3, 5, 7, 11}, DType::f32, 1);
  const Tensor on_gpu = host.to(Device::cuda);
  Tensor second(host.shape(), DType::f32, Device::cuda);
  copy({on_gpu, second});
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

TEST_CASE("a loop over GPU arena tensors allocates nothing", "[runtime][arena][memcheck]") {
  CHECK(allocations_in_arena_loop(Device::cuda, DType::f16) == 0);
  CHECK(allocations_in_arena_loop(Device::cuda, DType::f32) == 0);
}

TEST_CASE("the card's channel sums follow the emulated decomposition", "[runtime][reduce]") {
  // Both layouts (narrow up to 32 channels, wide beyond), row counts no block divides.
  for (const std::int64_t channels : {1, 6, 32, 512})
    for (const std::int64_t rows : {1031, 20011, 3000017}) {
      if (channels == 512 && rows > 20011) continue;  // the emulation's time, not the card's
      INFO(rows << " rows of " << channels << " channels");
      const std::vector<double> card = card_channel_sums(rows, channels);
      const std::vector<double> emulated =
          channel_reduce::emulated_channel_sums<2>(rows, channels, ReductionTestTerm{});
      REQUIRE(card.size() == emulated.size());
      int same_bits = 0;
      for (std::size_t i = 0; i < card.size(); ++i) {
        CHECK(card[i] == Approx(emulated[i]).epsilon(1e-13).margin(1e-13));
        same_bits += card[i] == emulated[i];
      }
      std::printf("channel sums, %lld rows x %lld channels: %d of %zu sums equal bit for bit\n",
                  static_cast<long long>(rows), static_cast<long long>(channels), same_bits,
                  card.size());
    }
}
