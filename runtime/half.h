// IEEE binary16 <-> binary32 conversion in software, round to nearest even: the CPU twin of
// the GPU's __float2half_rn / __half2float, bit for bit (NaNs aside, which stay NaN).
#pragma once

#include <cstdint>
#include <cstring>

#include "runtime/dtype.h"
#include "runtime/hd.h"

namespace unet3d {

UNET3D_HD inline std::uint16_t float_to_half_bits(float value) {
  std::uint32_t x;
  std::memcpy(&x, &value, sizeof x);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t magnitude = x & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7E00u);   // NaN
  if (magnitude >= 0x47800000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // >= 2^16: inf
  const std::uint32_t exponent = magnitude >> 23;
  if (magnitude < 0x38800000u) {  // below 2^-14: a half subnormal or zero
    if (magnitude <= 0x33000000u) return static_cast<std::uint16_t>(sign);  // <= 2^-25 -> 0
    const std::uint32_t mantissa = (magnitude & 0x7FFFFFu) | 0x800000u;
    const std::uint32_t shift = 126u - exponent;  // 14..24: units of 2^-24
    std::uint32_t q = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1u);
    const std::uint32_t halfway = 1u << (shift - 1u);
    if (rest > halfway || (rest == halfway && (q & 1u))) ++q;
    return static_cast<std::uint16_t>(sign | q);
  }
  std::uint32_t h = ((exponent - 112u) << 10) | ((magnitude >> 13) & 0x3FFu);
  const std::uint32_t rest = magnitude & 0x1FFFu;
  // A carry out of the mantissa bumps the exponent, up to inf: what round-to-nearest wants.
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<std::uint16_t>(sign | h);
}

UNET3D_HD inline float half_bits_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu;
  const std::uint32_t mantissa = h & 0x3FFu;
  std::uint32_t x;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float magnitude = static_cast<float>(mantissa) * 0x1.0p-24f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) {
    x = sign | 0x7F800000u | (mantissa << 13);
  } else {
    x = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  }
  float out;
  std::memcpy(&out, &x, sizeof out);
  return out;
}

inline Half to_half(float value) {
  return Half{float_to_half_bits(value)};
}
inline float to_float(Half value) {
  return half_bits_to_float(value.bits);
}

}  // namespace unet3d
