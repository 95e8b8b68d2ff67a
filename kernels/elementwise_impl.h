// Elementwise kernels written once against an execution policy: per-element bodies (the CUDA
// kernels call them per thread and the CPU loops per element, so CI tests the arithmetic the
// GPU runs), the maps that apply them, and the entry points per backend.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/elementwise.h"
#include "kernels/numeric.h"
#include "runtime/rng.h"

namespace unet3d::ops {

struct Add {
  template <class T>
  UNET3D_HD T operator()(T a, T b) const {
    return a + b;
  }
};

template <class T>
struct Affine {  // a * x + b; scale is b = 0
  T a, b;
  UNET3D_HD T operator()(T x) const { return a * x + b; }
};

template <class T>
struct ClipAffine {  // a * min(max(x, lo), hi) + b
  T lo, hi, a, b;
  UNET3D_HD T operator()(T x) const { return a * (x < lo ? lo : x > hi ? hi : x) + b; }
};

// Written as "x < 0 ? 0 : x" so that NaN passes through, as torch.relu does.
struct Relu {
  template <class T>
  UNET3D_HD T operator()(T x) const {
    return x < T(0) ? T(0) : x;
  }
};

// PyTorch's threshold_backward: the gradient is cut where the output is <= 0.
struct ReluBackward {
  template <class T>
  UNET3D_HD T operator()(T y, T dy) const {
    return y <= T(0) ? T(0) : dy;
  }
};

}  // namespace unet3d::ops

namespace unet3d::elementwise_impl {

// y[i] := op(x[i]) and y[i] := op(a[i], b[i]), computed in compute_t<S>.
template <class Exec, class S, class Op>
void map(std::int64_t n, S* y, Op op, const S* x) {
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) { store(&y[i], op(load(&x[i]))); });
}
template <class Exec, class S, class Op>
void map(std::int64_t n, S* y, Op op, const S* a, const S* b) {
  Exec::for_each(
      n, [=] UNET3D_HD_LAMBDA(std::int64_t i) { store(&y[i], op(load(&a[i]), load(&b[i]))); });
}

// A bit pattern, converted from the value once on the host.
template <class Exec, class E>
void fill_bits(E* y, std::int64_t n, E bits) {
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) { y[i] = bits; });
}

template <class Exec, class S>
void fill_uniform(S* y, std::int64_t n, std::uint64_t seed, float lo, float hi) {
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    store(&y[i], uniform_in(seed, static_cast<std::uint64_t>(i), lo, hi));
  });
}

// Rounds to nearest even. f64 to f16 rounds through f32, which may differ from rounding once by
// one f16 step at ties.
template <class Exec, class X, class Y>
void cast(const X* x, Y* y, std::int64_t n) {
  Exec::for_each(n, [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    store(&y[i], static_cast<compute_t<Y>>(load(&x[i])));
  });
}

}  // namespace unet3d::elementwise_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On>
void fill(Tensor& y, double value) {
  const std::int64_t n = y.numel();
  const auto as_float = static_cast<float>(value);
  switch (y.dtype()) {
    case DType::f16:
      return elementwise_impl::fill_bits<Exec<On>>(static_cast<std::uint16_t*>(y.data()), n,
                                                   float_to_half_bits(as_float));
    case DType::f32:
      return elementwise_impl::fill_bits<Exec<On>>(static_cast<float*>(y.data()), n, as_float);
    case DType::f64:
      return elementwise_impl::fill_bits<Exec<On>>(static_cast<double*>(y.data()), n, value);
    case DType::u8:
      return elementwise_impl::fill_bits<Exec<On>>(static_cast<std::uint8_t*>(y.data()), n,
                                                   static_cast<std::uint8_t>(value));
  }
}

template <class On>
void fill_uniform(Tensor& y, std::uint64_t seed, float lo, float hi) {
  Exec<On>::with_storage_type("fill_uniform", y, [&](auto s) {
    elementwise_impl::fill_uniform<Exec<On>>(typed(s, y), y.numel(), seed, lo, hi);
  });
}

template <class On>
void copy(const Tensor& x, Tensor& y) {
  if (x.data() != y.data()) Exec<On>::copy_bytes(y.data(), x.data(), x.bytes());
}

template <class On>
void cast(const Tensor& x, Tensor& y) {
  Exec<On>::with_storage_type("cast", x, [&](auto xs) {
    Exec<On>::with_storage_type("cast", y, [&](auto ys) {
      elementwise_impl::cast<Exec<On>>(typed(xs, x), typed(ys, y), x.numel());
    });
  });
}

template <class On>
void add(const Tensor& a, const Tensor& b, Tensor& out) {
  Exec<On>::with_storage_type("add", out, [&](auto s) {
    elementwise_impl::map<Exec<On>>(out.numel(), typed(s, out), ops::Add{}, typed(s, a),
                                    typed(s, b));
  });
}

template <class On>
void affine(const Tensor& x, double a, double b, Tensor& y) {
  Exec<On>::with_storage_type("affine", y, [&](auto s) {
    using S = decltype(s);
    using C = compute_t<S>;
    elementwise_impl::map<Exec<On>>(
        y.numel(), typed(s, y), ops::Affine<C>{static_cast<C>(a), static_cast<C>(b)}, typed(s, x));
  });
}

template <class On>
void clip_affine(const Tensor& x, double lo, double hi, double a, double b, Tensor& y) {
  Exec<On>::with_storage_type("clip_affine", y, [&](auto s) {
    using S = decltype(s);
    using C = compute_t<S>;
    elementwise_impl::map<Exec<On>>(y.numel(), typed(s, y),
                                    ops::ClipAffine<C>{static_cast<C>(lo), static_cast<C>(hi),
                                                       static_cast<C>(a), static_cast<C>(b)},
                                    typed(s, x));
  });
}

template <class On>
void relu_forward(const Tensor& x, Tensor& y) {
  Exec<On>::with_storage_type("relu_forward", y, [&](auto s) {
    elementwise_impl::map<Exec<On>>(y.numel(), typed(s, y), ops::Relu{}, typed(s, x));
  });
}

template <class On>
void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  Exec<On>::with_storage_type("relu_backward", dx, [&](auto s) {
    elementwise_impl::map<Exec<On>>(dx.numel(), typed(s, dx), ops::ReluBackward{}, typed(s, y),
                                    typed(s, dy));
  });
}

}  // namespace unet3d::backend
