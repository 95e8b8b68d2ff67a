// Software binary16 conversion against the standard's definition, value by value.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/elementwise.h"
#include "runtime/half.h"
#include "runtime/rng.h"

using namespace unet3d;

namespace {

// Round to nearest, ties to even, by search: the non-negative halves in bit order are in value
// order, and 0x7C00 (inf) stands where 65536 would, so the overflow threshold 65520 is a tie
// that goes to the even pattern, inf, as IEEE 754 says.
std::uint16_t nearest_half_by_search(float f) {
  static const std::vector<double> values = [] {
    std::vector<double> v;
    for (std::uint32_t bits = 0; bits < 0x7C00; ++bits)
      v.push_back(half_bits_to_float(static_cast<std::uint16_t>(bits)));
    v.push_back(65536.0);
    return v;
  }();
  const double x = std::abs(static_cast<double>(f));
  const std::uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  if (x >= 65536.0) return sign | 0x7C00;
  const auto hi = static_cast<std::uint16_t>(std::lower_bound(values.begin(), values.end(), x) -
                                             values.begin());
  if (values[hi] == x || hi == 0) return sign | hi;
  const auto lo = static_cast<std::uint16_t>(hi - 1);
  const double below = x - values[lo], above = values[hi] - x;
  if (below < above) return sign | lo;
  if (above < below) return sign | hi;
  return sign | ((lo & 1) == 0 ? lo : hi);
}

}  // namespace

TEST_CASE("every finite half survives half -> float -> half", "[half]") {
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0) continue;  // NaN payloads aside
    REQUIRE(float_to_half_bits(half_bits_to_float(h)) == h);
  }
}

TEST_CASE("half decoding gives the standard's values", "[half]") {
  CHECK(half_bits_to_float(0x3C00) == 1.0f);
  CHECK(half_bits_to_float(0xC000) == -2.0f);
  CHECK(half_bits_to_float(0x7BFF) == 65504.0f);
  CHECK(half_bits_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(half_bits_to_float(0x0400) == std::ldexp(1.0f, -14));
  CHECK(std::isinf(half_bits_to_float(0x7C00)));
  CHECK(std::isnan(half_bits_to_float(0x7E00)));
  CHECK(std::signbit(half_bits_to_float(0x8000)));
}

TEST_CASE("float -> half rounds to nearest even at the edges", "[half]") {
  CHECK(float_to_half_bits(65519.0f) == 0x7BFF);
  CHECK(float_to_half_bits(65520.0f) == 0x7C00);  // the tie above the largest half
  CHECK(float_to_half_bits(1e9f) == 0x7C00);
  CHECK(float_to_half_bits(std::ldexp(1.0f, -25)) == 0x0000);         // tie to even (zero)
  CHECK(float_to_half_bits(std::ldexp(1.5f, -25)) == 0x0001);         // above the tie
  CHECK(float_to_half_bits(std::ldexp(3.0f, -25)) == 0x0002);         // 1.5 units: tie to 2
  CHECK(float_to_half_bits(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);  // tie to even
  CHECK(float_to_half_bits(1.0f + std::ldexp(3.0f, -11)) == 0x3C02);  // tie to even, upward
  CHECK(float_to_half_bits(-0.0f) == 0x8000);
  CHECK(float_to_half_bits(-std::numeric_limits<float>::infinity()) == 0xFC00);
  CHECK(std::isnan(half_bits_to_float(float_to_half_bits(std::nanf("")))));
}

TEST_CASE("float -> half matches a search for the nearest half", "[half]") {
  Rng rng(2024);
  for (int i = 0; i < 200000; ++i) {
    // Random bit patterns over the exponents a half can reach, and a little beyond.
    const auto exponent = static_cast<std::uint32_t>(97 + rng.below(48));  // 2^-30 .. 2^17
    const auto bits =
        static_cast<std::uint32_t>((rng.below(2) << 31) | (exponent << 23) | rng.below(1u << 23));
    float f;
    std::memcpy(&f, &bits, sizeof f);
    INFO("float bits " << bits);
    REQUIRE(float_to_half_bits(f) == nearest_half_by_search(f));
  }
}

TEST_CASE("cast kernel converts f32 <-> f16 element by element", "[half][cast]") {
  Tensor x({1, 1, 3, 5, 7}, DType::f32);
  fill_uniform({x, 5, -70000.0f, 70000.0f});  // includes values that overflow to inf
  Tensor h({1, 1, 3, 5, 7}, DType::f16);
  cast({x, h});
  Tensor back({1, 1, 3, 5, 7}, DType::f32);
  cast({h, back});
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const float v = x.data_as<float>()[i];
    REQUIRE(h.data_as<Half>()[i].bits == float_to_half_bits(v));
    REQUIRE(back.data_as<float>()[i] == half_bits_to_float(float_to_half_bits(v)));
  }
}
