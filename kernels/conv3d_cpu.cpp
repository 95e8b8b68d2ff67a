// Conv3d on the CPU. k = 1 is one GEMM (OpenBLAS). k = 3 is a direct convolution over a
// zero-padded copy of the input: at the U-Net's channel counts (8 to 128) the im2col matrix is
// 27 times the input and its GEMMs are too thin for BLAS, so copying and packing cost more than
// the arithmetic. The data gradient is the forward convolution of dy with the flipped,
// transposed kernel.
//
// The hot loops are compiled for AVX-512, AVX2+FMA and plain x86-64 (GCC's target_clones picks
// one at load time), so the build needs no -march flag and runs on any x86-64 machine.
#include "kernels/conv3d_cpu.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "kernels/check.h"
#include "kernels/gemm.h"
#include "runtime/workspace.h"

namespace unet3d::cpu {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define UNET3D_CPU_CLONES __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define UNET3D_CPU_CLONES
#endif

constexpr int kTaps = 27;

// x with a zero border of one voxel on d, h and w, and zero channels up to `channels` (>= C):
// [N, D+2, H+2, W+2, channels].
Shape padded_shape(const Shape& s, std::int64_t channels) {
  return {s.n, s.d + 2, s.h + 2, s.w + 2, channels};
}
Shape padded_shape(const Shape& s) {
  return padded_shape(s, s.c);
}

template <class T>
void pad(const T* x, const Shape& s, T* padded, std::int64_t channels) {
  const Shape p = padded_shape(s, channels);
  std::memset(static_cast<void*>(padded), 0, static_cast<std::size_t>(p.numel()) * sizeof(T));
  const std::int64_t rows = s.n * s.d * s.h;
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t h = r % s.h, d = r / s.h % s.d, n = r / (s.h * s.d);
    T* to = padded + (((n * p.d + d + 1) * p.h + h + 1) * p.w + 1) * channels;
    const T* from = x + r * s.w * s.c;
    if (channels == s.c) {
      std::memcpy(static_cast<void*>(to), from, static_cast<std::size_t>(s.w * s.c) * sizeof(T));
    } else {
      for (std::int64_t v = 0; v < s.w; ++v)
        std::copy(from + v * s.c, from + (v + 1) * s.c, to + v * channels);
    }
  }
}

// Output channels are computed in blocks of B (16 where they divide into 16, else 8; the last
// block zero-padded), each block's weights packed as [tap][cin][B] so one tap and input channel
// is one contiguous row of B.
int channel_block(std::int64_t cout) {
  return cout % 16 == 0 ? 16 : 8;
}

// weight(o, t, i): the kernel's value for output channel o, tap t, input channel i.
template <class T, class Weight>
void pack_weights(const Weight& weight, std::int64_t cout, std::int64_t cin, int block, T* packed) {
  const std::int64_t blocks = (cout + block - 1) / block;
#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b)
    for (std::int64_t t = 0; t < kTaps; ++t)
      for (std::int64_t ci = 0; ci < cin; ++ci)
        for (std::int64_t j = 0; j < block; ++j) {
          const std::int64_t co = b * block + j;
          packed[((b * kTaps + t) * cin + ci) * block + j] = co < cout ? weight(co, t, ci) : T(0);
        }
}

// Outputs w0 .. w0+V-1 of one output row, channels of one block: V * B accumulators, which the
// compiler keeps in vector registers. rows[r] is the padded input row at (d + r/3, h + r%3).
template <class T, int B, int V>
inline __attribute__((always_inline)) void forward_tile(const T* const* rows, const T* weights,
                                                        std::int64_t cin, std::int64_t w0, T* out,
                                                        std::int64_t cout_stride, int valid) {
  T acc[V][B] = {};
  for (int r = 0; r < 9; ++r)
    for (int kw = 0; kw < 3; ++kw) {
      const T* in = rows[r] + (w0 + kw) * cin;
      const T* wt = weights + (r * 3 + kw) * cin * B;
      for (std::int64_t ci = 0; ci < cin; ++ci) {
        const T* wv = wt + ci * B;
        for (int v = 0; v < V; ++v) {
          const T xv = in[v * cin + ci];
#pragma omp simd
          for (int j = 0; j < B; ++j) acc[v][j] += xv * wv[j];
        }
      }
    }
  for (int v = 0; v < V; ++v)
    for (int j = 0; j < valid; ++j) out[v * cout_stride + j] = acc[v][j];
}

// One output row (n, d, h), every channel block.
template <class T, int B>
inline __attribute__((always_inline)) void forward_row(const T* const* rows, const T* packed,
                                                       std::int64_t cin, std::int64_t cout,
                                                       std::int64_t width, T* out) {
  constexpr int V = B == 16 ? 4 : 8;  // 4 x 16 or 8 x 8 accumulators
  for (std::int64_t c0 = 0; c0 < cout; c0 += B) {
    const T* weights = packed + c0 / B * kTaps * cin * B;
    const int valid = static_cast<int>(std::min<std::int64_t>(B, cout - c0));
    std::int64_t w0 = 0;
    for (; w0 + V <= width; w0 += V)
      forward_tile<T, B, V>(rows, weights, cin, w0, out + w0 * cout + c0, cout, valid);
    for (; w0 < width; ++w0)
      forward_tile<T, B, 1>(rows, weights, cin, w0, out + w0 * cout + c0, cout, valid);
  }
}

template <class T>
UNET3D_CPU_CLONES void forward_rows(const T* padded, const Shape& s, const T* packed,
                                    std::int64_t cout, int block, T* y) {
  const Shape p = padded_shape(s);
  const std::int64_t rows = s.n * s.d * s.h;
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t h = r % s.h, d = r / s.h % s.d, n = r / (s.h * s.d);
    const T* in[9];
    for (int i = 0; i < 9; ++i)
      in[i] = padded + ((n * p.d + d + i / 3) * p.h + h + i % 3) * p.w * p.c;
    T* out = y + r * s.w * cout;
    if (block == 16)
      forward_row<T, 16>(in, packed, s.c, cout, s.w, out);
    else
      forward_row<T, 8>(in, packed, s.c, cout, s.w, out);
  }
}

// y := conv3x3x3(x, kernel) with Cout output channels, the kernel read through weight(o, t, i).
template <class T, class Weight>
void forward3(const T* x, const Shape& s, const Weight& weight, std::int64_t cout, T* y) {
  const int block = channel_block(cout);
  const std::int64_t blocks = (cout + block - 1) / block;
  const auto padded_values = static_cast<std::size_t>(padded_shape(s).numel());
  T* padded = static_cast<T*>(workspace(
      Device::cpu,
      (padded_values + static_cast<std::size_t>(blocks * block * kTaps * s.c)) * sizeof(T)));
  T* packed = padded + padded_values;
  pad(x, s, padded, s.c);
  pack_weights(weight, cout, s.c, block, packed);
  forward_rows(padded, s, packed, cout, block, y);
}

// dw[co, t, ci] += sum over voxels v of x[v + offset(t), ci] * dy[v, co], for 3x3x3, with x
// padded (space and channels, to kI) and dy's channels padded to kB. Each thread takes a range of
// output rows and, for one tile of the gradient at a time (one (kd, kh), kI input and kB output
// channels, all three kw: 12 vectors of accumulators), streams its rows through registers,
// adding the tile into its own f64 sums every kFlushRows rows. The threads' sums are added up in
// thread order, so the result does not depend on timing.
constexpr int kI = 4, kB = 8, kFlushRows = 16;

std::int64_t round_up(std::int64_t n, std::int64_t m) {
  return (n + m - 1) / m * m;
}

template <class T>
UNET3D_CPU_CLONES int weight_rows(const T* x, std::int64_t cx, const T* dy, std::int64_t cy,
                                  const Shape& s, double* partial) {
  const Shape p = padded_shape(s, cx);
  const std::int64_t rows = s.n * s.d * s.h, values = kTaps * cy * cx;
  int team = 1;
#pragma omp parallel
  {
    const int id = omp_get_thread_num(), threads = omp_get_num_threads();
    if (id == 0) team = threads;
    const std::int64_t r0 = rows * id / threads, r1 = rows * (id + 1) / threads;
    double* sums = partial + id * values;  // [tap][cy][cx]
    std::fill(sums, sums + values, 0.0);
    for (int pair = 0; pair < 9; ++pair)  // (kd, kh) = (pair / 3, pair % 3)
      for (std::int64_t i0 = 0; i0 < cx; i0 += kI)
        for (std::int64_t c0 = 0; c0 < cy; c0 += kB)
          for (std::int64_t chunk = r0; chunk < r1; chunk += kFlushRows) {
            T acc[3][kI][kB] = {};
            for (std::int64_t r = chunk; r < std::min(r1, chunk + kFlushRows); ++r) {
              const std::int64_t h = r % s.h, d = r / s.h % s.d, n = r / (s.h * s.d);
              const T* in = x + ((n * p.d + d + pair / 3) * p.h + h + pair % 3) * p.w * cx + i0;
              const T* g = dy + r * s.w * cy + c0;
              for (std::int64_t v = 0; v < s.w; ++v, g += cy, in += cx)
                for (int kw = 0; kw < 3; ++kw)
                  for (int i = 0; i < kI; ++i) {
                    const T xv = in[kw * cx + i];
#pragma omp simd
                    for (int j = 0; j < kB; ++j) acc[kw][i][j] += xv * g[j];
                  }
            }
            for (int kw = 0; kw < 3; ++kw)
              for (int i = 0; i < kI; ++i)
                for (int j = 0; j < kB; ++j)
                  sums[((pair * 3 + kw) * cy + c0 + j) * cx + i0 + i] += acc[kw][i][j];
          }
  }
  return team;
}

template <class T>
void backward_weights3(const T* x, const Shape& s, const T* dy, std::int64_t cout, T* dw) {
  const std::int64_t cx = round_up(s.c, kI), cy = round_up(cout, kB), values = kTaps * cy * cx;
  const auto x_values = static_cast<std::size_t>(padded_shape(s, cx).numel()),
             dy_values = cy == cout ? 0 : static_cast<std::size_t>(s.numel() / s.c * cy),
             partial_bytes =
                 static_cast<std::size_t>(omp_get_max_threads() * values) * sizeof(double);
  char* space = static_cast<char*>(
      workspace(Device::cpu, partial_bytes + (x_values + dy_values) * sizeof(T)));
  auto* partial = reinterpret_cast<double*>(space);
  T* padded_x = reinterpret_cast<T*>(space + partial_bytes);
  pad(x, s, padded_x, cx);
  const T* wide_dy = dy;
  if (cy != cout) {  // channels padded to kB, no spatial border
    T* widened = padded_x + x_values;
    const std::int64_t voxels = s.numel() / s.c;
#pragma omp parallel for schedule(static)
    for (std::int64_t v = 0; v < voxels; ++v) {
      std::copy(dy + v * cout, dy + (v + 1) * cout, widened + v * cy);
      std::fill(widened + v * cy + cout, widened + (v + 1) * cy, T(0));
    }
    wide_dy = widened;
  }
  const int team = weight_rows(padded_x, cx, wide_dy, cy, s, partial);
#pragma omp parallel for schedule(static)
  for (std::int64_t co = 0; co < cout; ++co)
    for (std::int64_t t = 0; t < kTaps; ++t)
      for (std::int64_t ci = 0; ci < s.c; ++ci) {
        double total = 0;
        for (int i = 0; i < team; ++i) total += partial[i * values + (t * cy + co) * cx + ci];
        dw[(co * kTaps + t) * s.c + ci] += static_cast<T>(total);
      }
}

template <class Fn>
void with_cpu_conv_type(const char* op, const Tensor& t, Fn&& fn) {
  switch (t.dtype()) {
    case DType::f32: return fn(float{});
    case DType::f64: return fn(double{});
    default: unsupported_dtype(op, t);
  }
}

GemmProblem problem(std::int64_t m, std::int64_t n, std::int64_t k, DType t) {
  return {m, n, k, t, t};
}

}  // namespace

void conv3d_forward(const Tensor& x, const Tensor& w, Tensor& y) {
  with_cpu_conv_type("conv3d_forward", x, [&](auto zero) {
    using T = decltype(zero);
    const Shape& s = x.shape();
    const std::int64_t cout = w.shape().n;
    if (w.shape().d == 1)  // y [voxels, Cout] = x [voxels, Cin] * w^T
      return gemm(Device::cpu, problem(s.numel() / s.c, cout, s.c, x.dtype()), 1.0,
                  {x.data(), false}, {w.data(), true}, 0.0, y.data());
    const T* weights = w.data_as<T>();
    const std::int64_t cin = s.c;
    forward3(
        x.data_as<T>(), s,
        [=](std::int64_t o, std::int64_t t, std::int64_t i) {
          return weights[(o * kTaps + t) * cin + i];
        },
        cout, y.data_as<T>());
  });
}

void conv3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  with_cpu_conv_type("conv3d_backward_data", dy, [&](auto zero) {
    using T = decltype(zero);
    const Shape& ks = w.shape();  // [Cout, k, k, k, Cin]
    const Shape& s = dy.shape();
    const std::int64_t cout = ks.n, cin = ks.c;
    if (ks.d == 1)  // dx [voxels, Cin] = dy [voxels, Cout] * w
      return gemm(Device::cpu, problem(s.numel() / s.c, cin, cout, dy.dtype()), 1.0,
                  {dy.data(), false}, {w.data(), false}, 0.0, dx.data());
    // The adjoint convolution's kernel, output channel ci, tap t, input channel co:
    // w[co, 26 - t, ci].
    const T* weights = w.data_as<T>();
    forward3(
        dy.data_as<T>(), s,
        [=](std::int64_t ci, std::int64_t t, std::int64_t co) {
          return weights[(co * kTaps + (kTaps - 1 - t)) * cin + ci];
        },
        cin, dx.data_as<T>());
  });
}

void conv3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw) {
  with_cpu_conv_type("conv3d_backward_weights", x, [&](auto zero) {
    using T = decltype(zero);
    const Shape& s = x.shape();
    const std::int64_t cout = dw.shape().n;
    if (dw.shape().d == 1)  // dw [Cout, Cin] += dy^T [Cout, voxels] * x [voxels, Cin]
      return gemm(Device::cpu, problem(cout, s.c, s.numel() / s.c, x.dtype()), 1.0,
                  {dy.data(), true}, {x.data(), false}, 1.0, dw.data());
    backward_weights3(x.data_as<T>(), s, dy.data_as<T>(), cout, dw.data_as<T>());
  });
}

}  // namespace unet3d::cpu
