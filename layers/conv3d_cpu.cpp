// Conv3d on the CPU: im2col over tiles of output voxels (bounded memory), then OpenBLAS GEMM.
// The data gradient is the forward convolution of dy with the flipped, transposed kernel.
#include <algorithm>

#include "kernels/check.h"
#include "kernels/gemm.h"
#include "kernels/indexing.h"
#include "layers/conv3d.h"
#include "runtime/workspace.h"

namespace unet3d::cpu {
namespace {

// A column tile holds at most this many values (16 MB in f32).
constexpr std::int64_t kColumnTileValues = std::int64_t{1} << 22;

// col[r, ((kd*k + kh)*k + kw)*C + c] := x at output voxel (first + r) shifted by (kd, kh, kw)
// minus the padding, or 0 outside the volume.
template <class T>
void im2col(const T* x, const Shape& s, int k, std::int64_t first, std::int64_t rows, T* col) {
  const std::int64_t pad = (k - 1) / 2, row_length = k * k * k * s.c;
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const Coordinates v = coordinates(first + r, s.with_channels(1));
    T* out = col + r * row_length;
    for (int kd = 0; kd < k; ++kd)
      for (int kh = 0; kh < k; ++kh)
        for (int kw = 0; kw < k; ++kw, out += s.c) {
          const std::int64_t zd = v.d + kd - pad, zh = v.h + kh - pad, zw = v.w + kw - pad;
          if (zd < 0 || zd >= s.d || zh < 0 || zh >= s.h || zw < 0 || zw >= s.w) {
            std::fill(out, out + s.c, T(0));
          } else {
            const T* in = x + flat_index(s, v.n, zd, zh, zw, 0);
            std::copy(in, in + s.c, out);
          }
        }
  }
}

std::int64_t tile_rows(std::int64_t rows, std::int64_t row_length) {
  return std::clamp<std::int64_t>(kColumnTileValues / row_length, 1, rows);
}

// y := conv(x, w) with weights w [Cout, k, k, k, Cin] at `weights`, using `col` for tiles.
template <class T>
void forward(const T* x, const Shape& s, const T* weights, std::int64_t cout, int k, T* y, T* col) {
  const std::int64_t rows = s.numel() / s.c, row_length = k * k * k * s.c;
  const GemmProblem product_shape{0, cout, row_length, DTypeOf<T>::value, DTypeOf<T>::value};
  if (k == 1) {  // x is its own column matrix
    GemmProblem p = product_shape;
    p.m = rows;
    return cpu::gemm(p, 1.0, {x, false}, {weights, true}, 0.0, y);
  }
  const std::int64_t tile = tile_rows(rows, row_length);
  for (std::int64_t first = 0; first < rows; first += tile) {
    GemmProblem p = product_shape;
    p.m = std::min(tile, rows - first);
    im2col(x, s, k, first, p.m, col);
    cpu::gemm(p, 1.0, {col, false}, {weights, true}, 0.0, y + first * cout);
  }
}

template <class T>
std::size_t column_bytes(const Shape& s, int k) {
  const std::int64_t row_length = k * k * k * s.c;
  return static_cast<std::size_t>(tile_rows(s.numel() / s.c, row_length) * row_length) * sizeof(T);
}

template <class Fn>
void with_cpu_conv_type(const char* op, const Tensor& t, Fn&& fn) {
  switch (t.dtype()) {
    case DType::f32: return fn(float{});
    case DType::f64: return fn(double{});
    default: unsupported_dtype(op, t);
  }
}

}  // namespace

void conv3d_forward(const Tensor& x, const Tensor& w, Tensor& y) {
  with_cpu_conv_type("conv3d_forward", x, [&](auto zero) {
    using T = decltype(zero);
    const int k = static_cast<int>(w.shape().d);
    T* col = static_cast<T*>(workspace(Device::cpu, column_bytes<T>(x.shape(), k)));
    forward(x.data_as<T>(), x.shape(), w.data_as<T>(), w.shape().n, k, y.data_as<T>(), col);
  });
}

void conv3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  with_cpu_conv_type("conv3d_backward_data", dy, [&](auto zero) {
    using T = decltype(zero);
    const Shape& ks = w.shape();  // [Cout, k, k, k, Cin]
    const int k = static_cast<int>(ks.d);
    const std::int64_t cout = ks.n, cin = ks.c, taps = static_cast<std::int64_t>(k) * k * k;
    // flipped[ci, t', co] = w[co, taps - 1 - t', ci]: the kernel of the adjoint convolution.
    const auto flipped_bytes = static_cast<std::size_t>(w.numel()) * sizeof(T);
    char* space =
        static_cast<char*>(workspace(Device::cpu, flipped_bytes + column_bytes<T>(dy.shape(), k)));
    T* flipped = reinterpret_cast<T*>(space);
    const T* weights = w.data_as<T>();
#pragma omp parallel for schedule(static)
    for (std::int64_t ci = 0; ci < cin; ++ci)
      for (std::int64_t t = 0; t < taps; ++t)
        for (std::int64_t co = 0; co < cout; ++co)
          flipped[(ci * taps + t) * cout + co] = weights[(co * taps + (taps - 1 - t)) * cin + ci];
    forward(dy.data_as<T>(), dy.shape(), flipped, cin, k, dx.data_as<T>(),
            reinterpret_cast<T*>(space + flipped_bytes));
  });
}

void conv3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw) {
  with_cpu_conv_type("conv3d_backward_weights", x, [&](auto zero) {
    using T = decltype(zero);
    const Shape& s = x.shape();
    const int k = static_cast<int>(dw.shape().d);
    const std::int64_t cout = dw.shape().n, rows = s.numel() / s.c, row_length = k * k * k * s.c;
    const T* dyp = dy.data_as<T>();
    T* dwp = dw.data_as<T>();
    // dw[Cout, K] += dy_tile^T [Cout, rows] x col_tile [rows, K]
    GemmProblem p{cout, row_length, 0, DTypeOf<T>::value, DTypeOf<T>::value};
    if (k == 1) {
      p.k = rows;
      return cpu::gemm(p, 1.0, {dyp, true}, {x.data_as<T>(), false}, 1.0, dwp);
    }
    T* col = static_cast<T*>(workspace(Device::cpu, column_bytes<T>(s, k)));
    const std::int64_t tile = tile_rows(rows, row_length);
    for (std::int64_t first = 0; first < rows; first += tile) {
      p.k = std::min(tile, rows - first);
      im2col(x.data_as<T>(), s, k, first, p.k, col);
      cpu::gemm(p, 1.0, {dyp + first * cout, true}, {col, false}, 1.0, dwp);
    }
  });
}

}  // namespace unet3d::cpu
