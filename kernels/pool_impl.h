// MaxPool3d(window) written once against an execution policy (Exec<OnCpu> or Exec<OnGpu>).
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/indexing.h"
#include "kernels/numeric.h"
#include "kernels/pool.h"
#include "runtime/shape.h"

namespace unet3d::pool_impl {

// A window of at most 2 voxels per axis: (d, h, w).
struct Window {
  int d, h, w;
  UNET3D_HD int corners() const { return d * h * w; }
};

// The offsets of a window's corners from its first element, d-major like PyTorch's scan, found
// once per call: locating them per element (divisions by the window's sides) cost more than the
// pooling's memory traffic.
struct Corners {
  std::int64_t offset[8];
  int count;
};

inline Corners corners_of(const Shape& in, Window win) {
  Corners c{{}, win.corners()};
  for (int k = 0; k < c.count; ++k)
    c.offset[k] =
        ((k / (win.h * win.w)) * in.h * in.w + (k / win.w % win.h) * in.w + k % win.w) * in.c;
  return c;
}

// Index in x of the first element (channel 0) of the window of the output voxel at k.
UNET3D_HD inline std::int64_t window_start(const Coordinates& k, const Shape& in, Window win) {
  return flat_index(in, k.n, win.d * k.d, win.h * k.h, win.w * k.w, 0);
}

// The corner holding the window's first maximum; NaN wins, as in PyTorch.
template <class S>
UNET3D_HD int first_max_corner(const S* x, std::int64_t start, const Corners& corners) {
  int best = 0;
  auto best_value = load(&x[start]);
  for (int k = 1; k < corners.count; ++k) {
    const auto v = load(&x[start + corners.offset[k]]);
    if (v > best_value || (v != v && best_value == best_value)) {
      best = k;
      best_value = v;
    }
  }
  return best;
}

// Both passes run over output voxels, a run of C channels each (for_each_voxel): a voxel's
// window is located once for its channels.
template <class Exec, class S>
void forward(const S* x, S* y, Shape in, Shape out, Window win) {
  const std::int64_t channels = out.c;
  const Corners corners = corners_of(in, win);
  for_each_voxel<Exec>(out, [=] UNET3D_HD_LAMBDA(std::int64_t v, const Coordinates& k,
                                                 std::int64_t first, std::int64_t end) {
    // first_max_corner's scan with the channels innermost, so that the CPU's compiler
    // vectorises it: each channel keeps the value of its first maximum (NaN winning).
    const S* from = x + window_start(k, in, win);
    S* to = y + v * channels;
    for (std::int64_t c = first; c < end; ++c) to[c] = from[c];
    for (int corner = 1; corner < corners.count; ++corner) {
      const S* next = from + corners.offset[corner];
      for (std::int64_t c = first; c < end; ++c) {
        const auto a = load(&next[c]), best = load(&to[c]);
        to[c] = a > best || (a != a && best == best) ? next[c] : to[c];
      }
    }
  });
}

// Each window writes its gradients (dy at its first maximum, 0 at the rest): the windows are
// disjoint, so no two iterations write one element. Elements of an odd last slice belong to no
// window and are zeroed first.
template <class Exec, class S>
void backward(const S* x, const S* dy, S* dx, Shape in, Shape out, Window win) {
  if (in.d != win.d * out.d || in.h != win.h * out.h || in.w != win.w * out.w)
    Exec::for_each(in.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) { store(&dx[i], 0.0f); });
  const std::int64_t channels = out.c;
  const Corners corners = corners_of(in, win);
  for_each_voxel<Exec>(out, [=] UNET3D_HD_LAMBDA(std::int64_t v, const Coordinates& k,
                                                 std::int64_t first, std::int64_t end) {
    const std::int64_t start = window_start(k, in, win);
    for (std::int64_t c = first; c < end; ++c) {
      const int best = first_max_corner(x, start + c, corners);
      const compute_t<S> g = load(&dy[v * channels + c]);
      for (int corner = 0; corner < corners.count; ++corner)
        store(&dx[start + c + corners.offset[corner]], corner == best ? g : 0);
    }
  });
}

}  // namespace unet3d::pool_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On, DType D>
void maxpool_forward(const MaxpoolForwardArgs& a, pool_impl::Window win) {
  using S = storage_t<On, D>;
  pool_impl::forward<Exec<On>>(typed(S{}, a.x), typed(S{}, a.y), a.x.shape(), a.y.shape(), win);
}

template <class On, DType D>
void maxpool_backward(const MaxpoolBackwardArgs& a, pool_impl::Window win) {
  using S = storage_t<On, D>;
  pool_impl::backward<Exec<On>>(typed(S{}, a.x), typed(S{}, a.dy), typed(S{}, a.dx), a.x.shape(),
                                a.dy.shape(), win);
}

}  // namespace unet3d::backend

#define UNET3D_POOL_ENTRIES(X) X(FLOAT, maxpool_forward) X(FLOAT, maxpool_backward)
