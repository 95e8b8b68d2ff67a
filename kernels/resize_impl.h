// Resizing written once against an execution policy. Source coordinates follow PyTorch's
// float32 arithmetic exactly (docs/data.md).
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

// nearest-exact: min(floor((o + 0.5) * scale), in - 1) in float32.
UNET3D_HD inline std::int64_t nearest_source(std::int64_t o, std::int64_t in, std::int64_t out) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const auto src = static_cast<std::int64_t>(floorf((static_cast<float>(o) + 0.5f) * scale));
  return src < in - 1 ? src : in - 1;
}

// The eight source voxels and weights of output voxel k's trilinear sample.
template <class S>
struct TrilinearSample {
  AxisSample t, h, w;
  const S *c000, *c001, *c010, *c011, *c100, *c101, *c110, *c111;

  UNET3D_HD TrilinearSample(const S* x, const Shape& in, const Shape& out, const Coordinates& k)
      : t(axis_sample(k.d, in.d, out.d)),
        h(axis_sample(k.h, in.h, out.h)),
        w(axis_sample(k.w, in.w, out.w)) {
    const S* volume = x + flat_index(in, k.n, 0, 0, 0, 0);
    const auto corner = [&](std::int64_t d, std::int64_t hh, std::int64_t ww) {
      return volume + ((d * in.h + hh) * in.w + ww) * in.c;
    };
    c000 = corner(t.i0, h.i0, w.i0), c001 = corner(t.i0, h.i0, w.i1);
    c010 = corner(t.i0, h.i1, w.i0), c011 = corner(t.i0, h.i1, w.i1);
    c100 = corner(t.i1, h.i0, w.i0), c101 = corner(t.i1, h.i0, w.i1);
    c110 = corner(t.i1, h.i1, w.i0), c111 = corner(t.i1, h.i1, w.i1);
  }

  // Channel c's value, in PyTorch's order of operations so that f32 results can match its own.
  UNET3D_HD compute_t<S> value(std::int64_t c) const {
    using T = compute_t<S>;
    return T(t.l0) * (T(h.l0) * (T(w.l0) * load(&c000[c]) + T(w.l1) * load(&c001[c])) +
                      T(h.l1) * (T(w.l0) * load(&c010[c]) + T(w.l1) * load(&c011[c]))) +
           T(t.l1) * (T(h.l0) * (T(w.l0) * load(&c100[c]) + T(w.l1) * load(&c101[c])) +
                      T(h.l1) * (T(w.l0) * load(&c110[c]) + T(w.l1) * load(&c111[c])));
  }
};

// The passes run over output voxels, a run of C channels each (for_each_voxel): a voxel's
// source coordinates and weights are found once for its channels.
template <class Exec, class S>
void trilinear(const S* x, S* y, Shape in, Shape out) {
  const std::int64_t channels = out.c;
  for_each_voxel<Exec>(out, [=] UNET3D_HD_LAMBDA(std::int64_t v, const Coordinates& k,
                                                 std::int64_t first, std::int64_t end) {
    const TrilinearSample<S> sample(x, in, out, k);
    for (std::int64_t c = first; c < end; ++c) store(&y[v * channels + c], sample.value(c));
  });
}

// labels := the argmax over the channels of the trilinear resize of x (the lowest channel wins
// ties), without the resized tensor: one thread per output voxel on either backend.
template <class Exec, class S>
void trilinear_argmax(const S* x, std::uint8_t* labels, Shape in, Shape out) {
  const IndexMap voxels(out.with_channels(1));
  Exec::for_each(out.numel() / out.c, [=] UNET3D_HD_LAMBDA(std::int64_t v) {
    const TrilinearSample<S> sample(x, in, out, voxels.coordinates(v));
    std::int64_t best = 0;
    compute_t<S> best_value = sample.value(0);
    for (std::int64_t c = 1; c < out.c; ++c)
      if (const compute_t<S> value = sample.value(c); value > best_value)
        best_value = value, best = c;
    labels[v] = static_cast<std::uint8_t>(best);
  });
}

template <class Exec, class E>
void nearest(const E* x, E* y, Shape in, Shape out) {
  const std::int64_t channels = out.c;
  for_each_voxel<Exec>(out, [=] UNET3D_HD_LAMBDA(std::int64_t v, const Coordinates& k,
                                                 std::int64_t first, std::int64_t end) {
    const E* from =
        x + flat_index(in, k.n, nearest_source(k.d, in.d, out.d), nearest_source(k.h, in.h, out.h),
                       nearest_source(k.w, in.w, out.w), 0);
    for (std::int64_t c = first; c < end; ++c) y[v * channels + c] = from[c];
  });
}

}  // namespace unet3d::resize_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On, DType D>
void resize_trilinear(const ResizeTrilinearArgs& a) {
  using S = storage_t<On, D>;
  resize_impl::trilinear<Exec<On>>(typed(S{}, a.x), typed(S{}, a.y), a.x.shape(), a.y.shape());
}

template <class On>
void resize_trilinear_argmax(const ResizeTrilinearArgmaxArgs& a) {
  auto* to = static_cast<std::uint8_t*>(a.labels.data());
  const Shape out = a.labels.shape().with_channels(a.x.shape().c);
  if (a.x.dtype() == DType::f64)
    resize_impl::trilinear_argmax<Exec<On>>(static_cast<const double*>(a.x.data()), to, a.x.shape(),
                                            out);
  else if (a.x.dtype() == DType::f16)
    resize_impl::trilinear_argmax<Exec<On>>(
        static_cast<const storage_t<On, DType::f16>*>(a.x.data()), to, a.x.shape(), out);
  else
    resize_impl::trilinear_argmax<Exec<On>>(static_cast<const float*>(a.x.data()), to, a.x.shape(),
                                            out);
}

template <class On>
void resize_nearest(const ResizeNearestArgs& a) {
  with_element_bits(a.x.dtype(), [&](auto e) {
    resize_impl::nearest<Exec<On>>(typed(e, a.x), typed(e, a.y), a.x.shape(), a.y.shape());
  });
}

}  // namespace unet3d::backend

#define UNET3D_RESIZE_ENTRIES(X) \
  X(FLOAT, resize_trilinear) X(PLAIN, resize_nearest) X(PLAIN, resize_trilinear_argmax)
