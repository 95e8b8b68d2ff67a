// The CUDA per-channel sums' decomposition (kernels/channel_reduce_layout.h), replayed on the
// CPU by kernels/channel_reduce_emulation.h: every (row, channel) term is visited exactly once,
// and the sums equal the CPU backend's: bit for bit where every term is exact (integers), to
// rounding otherwise. The card's own sums are compared with the emulation by the GPU tests.
#include <catch2/catch.hpp>
#include <vector>

#include "kernels/channel_reduce_cpu.h"
#include "kernels/channel_reduce_emulation.h"
#include "tests/support/reduction_term.h"

using namespace unet3d;
using namespace unet3d::channel_reduce;

namespace {

// Counts how often each (row, channel) is asked for; sums 1 per visit.
struct CountingTerm {
  std::vector<int>* visits;
  std::int64_t channels;
  Sums<1> operator()(std::int64_t r, std::int64_t c) const {
    ++(*visits)[static_cast<std::size_t>(r * channels + c)];
    return {{1.0}};
  }
};

}  // namespace

TEST_CASE("the GPU's channel-sum layout visits every row and channel exactly once",
          "[reduce][gpu_layout]") {
  // Row counts that no block, warp or row lane divides; the narrow layout's block cap is
  // reached at 1024 x 1024 rows (the last case).
  const std::int64_t channels = GENERATE(1, 6, 32, 33, 512);
  const std::int64_t rows = GENERATE(1, 37, 1031, 20011);
  INFO(rows << " rows of " << channels << " channels");
  std::vector<int> visits(static_cast<std::size_t>(rows * channels), 0);
  const std::vector<double> sums =
      emulated_channel_sums<1>(rows, channels, CountingTerm{&visits, channels});
  int wrong = 0;
  for (const int v : visits) wrong += v != 1;
  CHECK(wrong == 0);
  for (const double s : sums) CHECK(s == static_cast<double>(rows));
}

TEST_CASE("the narrow layout's blocks are capped, and every thread still covers its rows",
          "[reduce][gpu_layout]") {
  CHECK(row_blocks(1, 6) == 1);
  CHECK(row_blocks(1024, 6) == 1);
  CHECK(row_blocks(1025, 6) == 2);
  CHECK(row_blocks(std::int64_t{1} << 40, 6) == kNarrowMaxBlocks);
  CHECK(row_blocks(129, 512) == 2);
  CHECK(row_blocks(std::int64_t{1} << 40, 512) == kMaxRowBlocks);
  CHECK(channel_blocks(512) == 16);
  CHECK(channel_blocks(33) == 2);
  CHECK(narrow_register_channels(1) == 1);
  CHECK(narrow_register_channels(6) == 8);
  CHECK(narrow_register_channels(32) == 32);
  // Past the cap each thread walks several rows: 3,000,000 rows in 1024 blocks of 256 threads.
  std::int64_t covered = 0;
  for (std::int64_t r = narrow_first_row(kNarrowMaxBlocks - 1, kNarrowThreads - 1); r < 3000000;
       r += narrow_row_stride(kNarrowMaxBlocks))
    ++covered;
  CHECK(covered == 11);  // rows 262143, 524287, ..., 2883583
}

TEST_CASE("a warp's shuffle tree adds the 32 lanes, lane 0 never reading a lane past the warp",
          "[reduce][gpu_layout]") {
  std::array<double, kWarpSize> lanes{};
  for (int i = 0; i < kWarpSize; ++i) lanes[static_cast<std::size_t>(i)] = i + 1;
  CHECK(warp_sum(lanes) == 528.0);  // 1 + 2 + ... + 32
  // Its order is a pairwise tree (lane 0 + lane 16 first), where 1e16 + 1 rounds to 1e16.
  lanes.fill(0.0);
  lanes[0] = 1e16, lanes[16] = 1.0, lanes[1] = -1e16;
  CHECK(warp_sum(lanes) == 0.0);  // (1e16 + 1) + (-1e16) in the tree; lane order would give 1
}

TEST_CASE("the emulated GPU channel sums equal the CPU's", "[reduce][gpu_layout]") {
  const std::int64_t channels = GENERATE(1, 6, 32, 512);
  const std::int64_t rows = GENERATE(1031, 20011);
  INFO(rows << " rows of " << channels << " channels");
  const testing::ReductionTestTerm term;
  const std::vector<double> gpu = emulated_channel_sums<2>(rows, channels, term);
  const double* cpu_sums = cpu::channel_sums<2>(rows, channels, term);
  for (std::int64_t c = 0; c < channels; ++c) {
    // Integers: exact in any order, so equal bits.
    CHECK(gpu[static_cast<std::size_t>(c)] == cpu_sums[c]);
    // Long fractions: the two orders round differently, by a few units in the last place.
    CHECK(gpu[static_cast<std::size_t>(channels + c)] ==
          Approx(cpu_sums[channels + c]).epsilon(1e-12).margin(1e-12));
  }
}
