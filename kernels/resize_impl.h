// Resizing written once against an execution policy. Source coordinates follow PyTorch's
// float32 arithmetic exactly (CONTRACTS §3).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/backend.h"
#include "kernels/indexing.h"
#include "kernels/numeric.h"
#include "kernels/resize.h"
#include "runtime/shape.h"

namespace unet3d::resize_impl {

// Where output index o of an axis samples an axis of `in` values, for trilinear.
struct AxisSample {
  std::int64_t i0, i1;
  float l0, l1;
};

UNET3D_HD inline AxisSample axis_sample(std::int64_t o, std::int64_t in, std::int64_t out) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  float src = (static_cast<float>(o) + 0.5f) * scale - 0.5f;
  if (src < 0) src = 0;
  const auto i0 = static_cast<std::int64_t>(src);
  const float l1 = src - static_cast<float>(i0);
  return {i0, i0 < in - 1 ? i0 + 1 : i0, 1.0f - l1, l1};
}

// The weight of input index i in output o's sample (both neighbours may be i at the border).
UNET3D_HD inline float axis_weight(std::int64_t o, std::int64_t i, std::int64_t in,
                                   std::int64_t out) {
  const AxisSample s = axis_sample(o, in, out);
  return (s.i0 == i ? s.l0 : 0.0f) + (s.i1 == i ? s.l1 : 0.0f);
}

// The outputs [lo, hi) whose samples touch input index i: i0(o) <= i <= i1(o). Both
// neighbours never decrease with o, so they are contiguous; the search starts from the
// inverse of the coordinate map.
UNET3D_HD inline void axis_range(std::int64_t i, std::int64_t in, std::int64_t out,
                                 std::int64_t& lo, std::int64_t& hi) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  auto o = static_cast<std::int64_t>((static_cast<float>(i) + 0.5f) / scale - 0.5f);
  o = o < 0 ? 0 : (o > out - 1 ? out - 1 : o);
  while (o > 0 && axis_sample(o - 1, in, out).i1 >= i) --o;
  while (o < out && axis_sample(o, in, out).i1 < i) ++o;
  lo = o;
  while (o < out && axis_sample(o, in, out).i0 <= i) ++o;
  hi = o;
}

// nearest-exact: min(floor((o + 0.5) * scale), in - 1) in float32.
UNET3D_HD inline std::int64_t nearest_source(std::int64_t o, std::int64_t in, std::int64_t out) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const auto src = static_cast<std::int64_t>(floorf((static_cast<float>(o) + 0.5f) * scale));
  return src < in - 1 ? src : in - 1;
}

template <class Exec, class S>
void trilinear(const S* x, S* y, Shape in, Shape out) {
  const IndexMap out_map(out);
  Exec::for_each(out.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    using T = compute_t<S>;
    const Coordinates k = out_map.coordinates(i);
    const AxisSample t = axis_sample(k.d, in.d, out.d);
    const AxisSample h = axis_sample(k.h, in.h, out.h);
    const AxisSample w = axis_sample(k.w, in.w, out.w);
    const auto at = [&](std::int64_t d, std::int64_t hh, std::int64_t ww) -> T {
      return load(&x[flat_index(in, k.n, d, hh, ww, k.c)]);
    };
    // PyTorch's order of operations, so that f32 results can match its own.
    const T v =
        T(t.l0) * (T(h.l0) * (T(w.l0) * at(t.i0, h.i0, w.i0) + T(w.l1) * at(t.i0, h.i0, w.i1)) +
                   T(h.l1) * (T(w.l0) * at(t.i0, h.i1, w.i0) + T(w.l1) * at(t.i0, h.i1, w.i1))) +
        T(t.l1) * (T(h.l0) * (T(w.l0) * at(t.i1, h.i0, w.i0) + T(w.l1) * at(t.i1, h.i0, w.i1)) +
                   T(h.l1) * (T(w.l0) * at(t.i1, h.i1, w.i0) + T(w.l1) * at(t.i1, h.i1, w.i1)));
    store(&y[i], v);
  });
}

template <class Exec, class S>
void trilinear_backward(const S* dy, S* dx, Shape in, Shape out) {
  const IndexMap in_map(in);
  Exec::for_each(in.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    using T = compute_t<S>;
    const Coordinates k = in_map.coordinates(i);
    std::int64_t d0, d1, h0, h1, w0, w1;
    axis_range(k.d, in.d, out.d, d0, d1);
    axis_range(k.h, in.h, out.h, h0, h1);
    axis_range(k.w, in.w, out.w, w0, w1);
    T total = 0;
    for (std::int64_t od = d0; od < d1; ++od) {
      const T wd = axis_weight(od, k.d, in.d, out.d);
      for (std::int64_t oh = h0; oh < h1; ++oh) {
        const T wh = wd * T(axis_weight(oh, k.h, in.h, out.h));
        for (std::int64_t ow = w0; ow < w1; ++ow) {
          const T g = load(&dy[flat_index(out, k.n, od, oh, ow, k.c)]);
          total += wh * T(axis_weight(ow, k.w, in.w, out.w)) * g;
        }
      }
    }
    store(&dx[i], total);
  });
}

template <class Exec, class E>
void nearest(const E* x, E* y, Shape in, Shape out) {
  const IndexMap out_map(out);
  Exec::for_each(out.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    const Coordinates k = out_map.coordinates(i);
    const std::int64_t d = nearest_source(k.d, in.d, out.d);
    const std::int64_t h = nearest_source(k.h, in.h, out.h);
    const std::int64_t w = nearest_source(k.w, in.w, out.w);
    y[i] = x[flat_index(in, k.n, d, h, w, k.c)];
  });
}

}  // namespace unet3d::resize_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On>
void resize_trilinear(const Tensor& x, Tensor& y) {
  Exec<On>::with_storage_type("resize_trilinear", x, [&](auto s) {
    using S = decltype(s);
    resize_impl::trilinear<Exec<On>>(static_cast<const S*>(x.data()), static_cast<S*>(y.data()),
                                     x.shape(), y.shape());
  });
}

template <class On>
void resize_trilinear_backward(const Tensor& dy, Tensor& dx) {
  Exec<On>::with_storage_type("resize_trilinear_backward", dy, [&](auto s) {
    using S = decltype(s);
    resize_impl::trilinear_backward<Exec<On>>(static_cast<const S*>(dy.data()),
                                              static_cast<S*>(dx.data()), dx.shape(), dy.shape());
  });
}

template <class On>
void resize_nearest(const Tensor& x, Tensor& y) {
  with_element_bits(x.dtype(), [&](auto e) {
    using E = decltype(e);
    resize_impl::nearest<Exec<On>>(static_cast<const E*>(x.data()), static_cast<E*>(y.data()),
                                   x.shape(), y.shape());
  });
}

}  // namespace unet3d::backend
