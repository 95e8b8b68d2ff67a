// Element types: f16 and f32 on either backend, f64 on the CPU (for gradient checks), u8 for
// label maps. Half is the host-side storage of an IEEE binary16 value (runtime/half.h converts).
#pragma once

#include <cstddef>
#include <cstdint>

namespace unet3d {

enum class DType : std::uint8_t { f16, f32, f64, u8 };

struct Half {
  std::uint16_t bits;
};

constexpr std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::f16: return 2;
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::u8: return 1;
  }
  return 0;
}

constexpr const char* dtype_name(DType t) {
  switch (t) {
    case DType::f16: return "f16";
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::u8: return "u8";
  }
  return "?";
}

constexpr bool is_floating(DType t) {
  return t != DType::u8;
}

// The dtype sums and gradients of data in `t` are kept in: f64 for f64, else f32.
constexpr DType accumulator_dtype(DType t) {
  return t == DType::f64 ? DType::f64 : DType::f32;
}

// The DType a C++ element type is stored as; Tensor::data_as<T>() checks against it.
template <class T>
struct DTypeOf;
template <>
struct DTypeOf<Half> {
  static constexpr DType value = DType::f16;
};
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::f32;
};
template <>
struct DTypeOf<double> {
  static constexpr DType value = DType::f64;
};
template <>
struct DTypeOf<std::uint8_t> {
  static constexpr DType value = DType::u8;
};

// Calls fn(E{}) with E the unsigned integer as wide as one element of dtype t: for kernels
// that move elements without computing on them (flips, nearest resizing).
template <class Fn>
void with_element_bits(DType t, Fn&& fn) {
  switch (dtype_size(t)) {
    case 1: return fn(std::uint8_t{});
    case 2: return fn(std::uint16_t{});
    case 4: return fn(std::uint32_t{});
    default: return fn(std::uint64_t{});
  }
}

}  // namespace unet3d
