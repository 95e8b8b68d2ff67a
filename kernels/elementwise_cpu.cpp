// CPU reference of the elementwise kernels: OpenMP loops over the shared per-element bodies.
#include <algorithm>
#include <cstring>

#include "kernels/check.h"
#include "kernels/elementwise.h"
#include "kernels/elementwise_ops.h"
#include "kernels/exec_cpu.h"
#include "kernels/numeric.h"
#include "runtime/half.h"
#include "runtime/rng.h"

namespace unet3d::cpu {
namespace {

// out[i] := body(load(in[i])...) for i in [0, n), over tensors of storage type S.
template <class S, class Body, class... In>
void map(std::int64_t n, S* out, Body body, const In*... in) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) store(&out[i], body(load(&in[i])...));
}

// Element i of a floating tensor as double, and back (storage ops on f16/f32/f64).
double element_as_double(const Tensor& t, std::int64_t i) {
  switch (t.dtype()) {
    case DType::f16: return to_float(t.data_as<Half>()[i]);
    case DType::f32: return t.data_as<float>()[i];
    case DType::f64: return t.data_as<double>()[i];
    case DType::u8: return t.data_as<std::uint8_t>()[i];
  }
  return 0;
}

// f16 rounds from the float nearest to `v`; every caller passes values exact in float, except
// cast from f64, where rounding twice may differ from rounding once by one f16 ulp at ties.
void set_element(Tensor& t, std::int64_t i, double v) {
  switch (t.dtype()) {
    case DType::f16: t.data_as<Half>()[i] = to_half(static_cast<float>(v)); return;
    case DType::f32: t.data_as<float>()[i] = static_cast<float>(v); return;
    case DType::f64: t.data_as<double>()[i] = v; return;
    case DType::u8: t.data_as<std::uint8_t>()[i] = static_cast<std::uint8_t>(v); return;
  }
}

}  // namespace

void fill(Tensor& y, double value) {
  const std::int64_t n = y.numel();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) set_element(y, i, value);
}

void fill_uniform(Tensor& y, std::uint64_t seed, float lo, float hi) {
  if (y.dtype() == DType::u8) unsupported_dtype("fill_uniform", y);
  const std::int64_t n = y.numel();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i)
    set_element(y, i, uniform_in(seed, static_cast<std::uint64_t>(i), lo, hi));
}

// One memcpy per thread: a single thread does not reach the memory bandwidth of the machine.
void copy(const Tensor& x, Tensor& y) {
  if (x.data() == y.data()) return;
  constexpr std::int64_t kChunk = std::int64_t{1} << 20;
  const auto* from = static_cast<const char*>(x.data());
  auto* to = static_cast<char*>(y.data());
  const auto bytes = static_cast<std::int64_t>(x.bytes());
#pragma omp parallel for schedule(static)
  for (std::int64_t first = 0; first < bytes; first += kChunk)
    std::memcpy(to + first, from + first,
                static_cast<std::size_t>(std::min(kChunk, bytes - first)));
}

void cast(const Tensor& x, Tensor& y) {
  if (x.dtype() == DType::u8) unsupported_dtype("cast", x);
  if (y.dtype() == DType::u8) unsupported_dtype("cast", y);
  const std::int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) set_element(y, i, element_as_double(x, i));
}

void add(const Tensor& a, const Tensor& b, Tensor& out) {
  with_storage_type("add", out, [&](auto zero) {
    using S = decltype(zero);
    map(
        out.numel(), out.data_as<S>(), [](auto u, auto v) { return ops::add(u, v); },
        a.data_as<S>(), b.data_as<S>());
  });
}

void scale(const Tensor& x, double alpha, Tensor& y) {
  with_storage_type("scale", y, [&](auto zero) {
    using S = decltype(zero);
    using C = compute_t<S>;
    const C a = static_cast<C>(alpha);
    map(
        y.numel(), y.data_as<S>(), [a](C v) { return ops::scale(v, a); }, x.data_as<S>());
  });
}

void affine(const Tensor& x, double a, double b, Tensor& y) {
  with_storage_type("affine", y, [&](auto zero) {
    using S = decltype(zero);
    using C = compute_t<S>;
    const C ca = static_cast<C>(a), cb = static_cast<C>(b);
    map(
        y.numel(), y.data_as<S>(), [ca, cb](C v) { return ops::affine(v, ca, cb); },
        x.data_as<S>());
  });
}

void relu_forward(const Tensor& x, Tensor& y) {
  with_storage_type("relu_forward", y, [&](auto zero) {
    using S = decltype(zero);
    map(
        y.numel(), y.data_as<S>(), [](auto v) { return ops::relu(v); }, x.data_as<S>());
  });
}

void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  with_storage_type("relu_backward", dx, [&](auto zero) {
    using S = decltype(zero);
    map(
        dx.numel(), dx.data_as<S>(), [](auto u, auto v) { return ops::relu_backward(u, v); },
        y.data_as<S>(), dy.data_as<S>());
  });
}

}  // namespace unet3d::cpu
