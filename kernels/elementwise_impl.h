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
void fill(const FillArgs& a) {
  const std::int64_t n = a.y.numel();
  const auto as_float = static_cast<float>(a.value);
  switch (a.y.dtype()) {
    case DType::f16:
      return elementwise_impl::fill_bits<Exec<On>>(static_cast<std::uint16_t*>(a.y.data()), n,
                                                   float_to_half_bits(as_float));
    case DType::f32:
      return elementwise_impl::fill_bits<Exec<On>>(static_cast<float*>(a.y.data()), n, as_float);
    case DType::f64:
      return elementwise_impl::fill_bits<Exec<On>>(static_cast<double*>(a.y.data()), n, a.value);
    case DType::u8:
      return elementwise_impl::fill_bits<Exec<On>>(static_cast<std::uint8_t*>(a.y.data()), n,
                                                   static_cast<std::uint8_t>(a.value));
  }
}

template <class On, DType D>
void fill_uniform(const FillUniformArgs& a) {
  using S = storage_t<On, D>;
  elementwise_impl::fill_uniform<Exec<On>>(typed(S{}, a.y), a.y.numel(), a.seed, a.lo, a.hi);
}

template <class On>
void copy(const CopyArgs& a) {
  if (a.x.data() != a.y.data()) Exec<On>::copy_bytes(a.y.data(), a.x.data(), a.x.bytes());
}

template <class On>
void cast(const CastArgs& a) {
  Exec<On>::with_storage_type("cast", a.x, [&](auto xs) {
    Exec<On>::with_storage_type("cast", a.y, [&](auto ys) {
      elementwise_impl::cast<Exec<On>>(typed(xs, a.x), typed(ys, a.y), a.x.numel());
    });
  });
}

template <class On, DType D>
void add(const AddArgs& a) {
  using S = storage_t<On, D>;
  elementwise_impl::map<Exec<On>>(a.out.numel(), typed(S{}, a.out), ops::Add{}, typed(S{}, a.lhs),
                                  typed(S{}, a.rhs));
}

template <class On, DType D>
void affine(const AffineArgs& a) {
  using S = storage_t<On, D>;
  using C = compute_t<S>;
  elementwise_impl::map<Exec<On>>(a.y.numel(), typed(S{}, a.y),
                                  ops::Affine<C>{static_cast<C>(a.scale), static_cast<C>(a.offset)},
                                  typed(S{}, a.x));
}

template <class On, DType D>
void clip_affine(const ClipAffineArgs& a) {
  using S = storage_t<On, D>;
  using C = compute_t<S>;
  elementwise_impl::map<Exec<On>>(
      a.y.numel(), typed(S{}, a.y),
      ops::ClipAffine<C>{static_cast<C>(a.lo), static_cast<C>(a.hi), static_cast<C>(a.scale),
                         static_cast<C>(a.offset)},
      typed(S{}, a.x));
}

template <class On, DType D>
void relu_forward(const ReluForwardArgs& a) {
  using S = storage_t<On, D>;
  elementwise_impl::map<Exec<On>>(a.y.numel(), typed(S{}, a.y), ops::Relu{}, typed(S{}, a.x));
}

template <class On, DType D>
void relu_backward(const ReluBackwardArgs& a) {
  using S = storage_t<On, D>;
  elementwise_impl::map<Exec<On>>(a.dx.numel(), typed(S{}, a.dx), ops::ReluBackward{},
                                  typed(S{}, a.y), typed(S{}, a.dy));
}

}  // namespace unet3d::backend

#define UNET3D_ELEMENTWISE_ENTRIES(X)                                         \
  X(PLAIN, fill)                                                              \
  X(FLOAT, fill_uniform)                                                      \
  X(PLAIN, copy)                                                              \
  X(PLAIN, cast)                                                              \
  X(FLOAT, add) X(FLOAT, affine) X(FLOAT, clip_affine) X(FLOAT, relu_forward) \
      X(FLOAT, relu_backward)
