// The project's RNG: splitmix64's published stream, and the same numbers however they are drawn.
#include <catch2/catch.hpp>
#include <vector>

#include "kernels/elementwise.h"
#include "runtime/rng.h"

using namespace unet3d;

TEST_CASE("the stream is splitmix64's", "[rng]") {
  // splitmix64's reference outputs for seed 1234567.
  Rng rng(1234567);
  CHECK(rng.next_u64() == 6457827717110365317ull);
  CHECK(rng.next_u64() == 3203168211198807973ull);
  CHECK(rng.next_u64() == 9817491932198370423ull);
  CHECK(rng.next_u64() == 4593380528125082431ull);
  CHECK(rng.next_u64() == 16408922859458223821ull);
  CHECK(random_bits(1234567, 2) == 9817491932198370423ull);  // counter-based: any order
}

TEST_CASE("uniform draws stay in range and are exact in float", "[rng]") {
  for (std::uint64_t i = 0; i < 10000; ++i) {
    const float u = uniform01(42, i);
    REQUIRE(u >= 0.0f);
    REQUIRE(u < 1.0f);
    const float v = uniform_in(42, i, -3.0f, 2.0f);
    REQUIRE(v >= -3.0f);
    REQUIRE(v < 2.0f);
  }
  CHECK(uniform01(42, 0) == static_cast<float>(12441394) * 0x1.0p-24f);
}

TEST_CASE("fill_uniform writes element i from counter i", "[rng]") {
  Tensor t({1, 3, 1, 7, 5}, DType::f32);
  fill_uniform({t, 99, -0.5f, 0.25f});
  for (std::int64_t i = 0; i < t.numel(); ++i)
    REQUIRE(t.data_as<float>()[i] == uniform_in(99, static_cast<std::uint64_t>(i), -0.5f, 0.25f));
}

TEST_CASE("below() covers its range evenly and resumes from a counter", "[rng]") {
  Rng rng(7);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 60000; ++i) ++counts[rng.below(6)];
  for (int c : counts) CHECK(std::abs(c - 10000) < 500);  // ~5 standard deviations

  Rng a(11), b(11);
  for (int i = 0; i < 5; ++i) a.next_u64();
  b.set_counter(a.counter());
  CHECK(a.next_u64() == b.next_u64());
  CHECK_THROWS_AS(a.below(0), Error);
}

TEST_CASE("normal() has mean 0 and variance 1", "[rng]") {
  Rng rng(3);
  double sum = 0, sum_sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    sum += z;
    sum_sq += z * z;
  }
  CHECK(std::abs(sum / n) < 0.01);
  CHECK(std::abs(sum_sq / n - 1.0) < 0.02);
}
