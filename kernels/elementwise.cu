// CUDA elementwise kernels: each a grid-stride map over the shared per-element body
// (elementwise_ops.h), storage f32 or f16, arithmetic in f32.
#include "kernels/check.h"
#include "kernels/elementwise.h"
#include "kernels/elementwise_ops.h"
#include "kernels/launch.cuh"
#include "runtime/half.h"
#include "runtime/rng.h"

namespace unet3d::gpu {

// The typed halves of the kernels. They are named templates, not generic lambdas, because nvcc
// does not allow an extended __device__ lambda inside a generic lambda.
namespace typed {

template <class T>
void fill_uniform(Tensor& y, std::uint64_t seed, float lo, float hi) {
  T* p = static_cast<T*>(y.data());
  for_each_index(y.numel(), [=] __device__(std::int64_t i) {
    store(&p[i], uniform_in(seed, static_cast<std::uint64_t>(i), lo, hi));
  });
}

template <class X, class Y>
void cast(const Tensor& x, Tensor& y) {
  const X* px = static_cast<const X*>(x.data());
  Y* py = static_cast<Y*>(y.data());
  for_each_index(x.numel(), [=] __device__(std::int64_t i) { store(&py[i], load(&px[i])); });
}

template <class T>
void add(const Tensor& a, const Tensor& b, Tensor& out) {
  const T* pa = static_cast<const T*>(a.data());
  const T* pb = static_cast<const T*>(b.data());
  T* po = static_cast<T*>(out.data());
  for_each_index(out.numel(), [=] __device__(std::int64_t i) {
    store(&po[i], ops::add(load(&pa[i]), load(&pb[i])));
  });
}

template <class T>
void scale(const Tensor& x, double alpha, Tensor& y) {
  const T* px = static_cast<const T*>(x.data());
  T* py = static_cast<T*>(y.data());
  const float a = static_cast<float>(alpha);
  for_each_index(y.numel(),
                 [=] __device__(std::int64_t i) { store(&py[i], ops::scale(load(&px[i]), a)); });
}

template <class T>
void affine(const Tensor& x, double a, double b, Tensor& y) {
  const T* px = static_cast<const T*>(x.data());
  T* py = static_cast<T*>(y.data());
  const float fa = static_cast<float>(a), fb = static_cast<float>(b);
  for_each_index(y.numel(), [=] __device__(std::int64_t i) {
    store(&py[i], ops::affine(load(&px[i]), fa, fb));
  });
}

template <class T>
void relu_forward(const Tensor& x, Tensor& y) {
  const T* px = static_cast<const T*>(x.data());
  T* py = static_cast<T*>(y.data());
  for_each_index(y.numel(),
                 [=] __device__(std::int64_t i) { store(&py[i], ops::relu(load(&px[i]))); });
}

template <class T>
void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  const T* py = static_cast<const T*>(y.data());
  const T* pdy = static_cast<const T*>(dy.data());
  T* pdx = static_cast<T*>(dx.data());
  for_each_index(dx.numel(), [=] __device__(std::int64_t i) {
    store(&pdx[i], ops::relu_backward(load(&py[i]), load(&pdy[i])));
  });
}

// Fills with a bit pattern: the value is converted once, on the host, as the CPU does.
template <class Bits>
void fill_bits(Tensor& y, Bits bits) {
  Bits* p = static_cast<Bits*>(y.data());
  for_each_index(y.numel(), [=] __device__(std::int64_t i) { p[i] = bits; });
}

}  // namespace typed

namespace {

// The f32 or the f16 instantiation of an op, by the dtype of `t`.
template <class F>
F by_dtype(const char* op, const Tensor& t, F for_f32, F for_f16) {
  if (t.dtype() == DType::f32) return for_f32;
  if (t.dtype() == DType::f16) return for_f16;
  unsupported_dtype(op, t);
}

}  // namespace

void fill(Tensor& y, double value) {
  switch (y.dtype()) {
    case DType::f32: return typed::fill_bits(y, static_cast<float>(value));
    case DType::f16: return typed::fill_bits(y, float_to_half_bits(static_cast<float>(value)));
    case DType::f64: return typed::fill_bits(y, value);
    case DType::u8: return typed::fill_bits(y, static_cast<std::uint8_t>(value));
    default: unsupported_dtype("fill", y);
  }
}

void fill_uniform(Tensor& y, std::uint64_t seed, float lo, float hi) {
  by_dtype("fill_uniform", y, typed::fill_uniform<float>, typed::fill_uniform<__half>)(y, seed, lo,
                                                                                       hi);
}

void copy(const Tensor& x, Tensor& y) {
  if (x.data() == y.data()) return;
  UNET3D_CUDA_CHECK(
      cudaMemcpyAsync(y.data(), x.data(), x.bytes(), cudaMemcpyDeviceToDevice, stream()));
}

void cast(const Tensor& x, Tensor& y) {
  if (x.dtype() == y.dtype()) return gpu::copy(x, y);
  if (x.dtype() == DType::f32 && y.dtype() == DType::f16) return typed::cast<float, __half>(x, y);
  if (x.dtype() == DType::f16 && y.dtype() == DType::f32) return typed::cast<__half, float>(x, y);
  unsupported_dtype("cast", x.dtype() == DType::f32 || x.dtype() == DType::f16 ? y : x);
}

void add(const Tensor& a, const Tensor& b, Tensor& out) {
  by_dtype("add", out, typed::add<float>, typed::add<__half>)(a, b, out);
}

void scale(const Tensor& x, double alpha, Tensor& y) {
  by_dtype("scale", y, typed::scale<float>, typed::scale<__half>)(x, alpha, y);
}

void affine(const Tensor& x, double a, double b, Tensor& y) {
  by_dtype("affine", y, typed::affine<float>, typed::affine<__half>)(x, a, b, y);
}

void relu_forward(const Tensor& x, Tensor& y) {
  by_dtype("relu_forward", y, typed::relu_forward<float>, typed::relu_forward<__half>)(x, y);
}

void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  by_dtype("relu_backward", dx, typed::relu_backward<float>, typed::relu_backward<__half>)(y, dy,
                                                                                           dx);
}

}  // namespace unet3d::gpu
