// Conv3d on the CPU. A 1x1x1 kernel is one GEMM (OpenBLAS). Any other (each axis 1 or 3: 3x3x3,
// and the anisotropic levels' 1x3x3, 3x1x1, ...) is a direct convolution over its own taps only,
// on a copy of the input zero-padded along the axes whose kernel is 3: at the U-Net's channel
// counts (8 to 128) the im2col matrix is `taps` times the input and its GEMMs are too thin for
// BLAS, so copying and packing cost more than the arithmetic. The data gradient is the forward
// convolution of dy with the flipped, transposed kernel.
//
// The hot loops are compiled for AVX-512, AVX2+FMA and plain x86-64 (kernels/cpu_clones.h).
#include "kernels/conv3d_cpu.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "kernels/accumulate.h"
#include "kernels/check.h"
#include "kernels/cpu_clones.h"
#include "kernels/gemm.h"
#include "runtime/error.h"
#include "runtime/workspace.h"

namespace unet3d::cpu {
namespace {

constexpr int kMaxTaps = 27;

// A kernel's extent per axis (each 1 or 3), read off weights [Cout, kd, kh, kw, Cin]; tap
// t = (a kh + b) kw + c is offset (a, b, c) from the window's first voxel.
struct Taps {
  std::int64_t d, h, w;
  explicit Taps(const Shape& weights) : d(weights.d), h(weights.h), w(weights.w) {}
  int count() const { return static_cast<int>(d * h * w); }
  // The zero border of the padded input along each axis: (k - 1) / 2.
  std::int64_t pad_d() const { return (d - 1) / 2; }
  std::int64_t pad_h() const { return (h - 1) / 2; }
  std::int64_t pad_w() const { return (w - 1) / 2; }
};

// x with a zero border of (k - 1) / 2 voxels on each axis, and zero channels up to `channels`
// (>= C): [N, D + 2 pd, H + 2 ph, W + 2 pw, channels].
Shape padded_shape(const Shape& s, std::int64_t channels, const Taps& k) {
  return {s.n, s.d + 2 * k.pad_d(), s.h + 2 * k.pad_h(), s.w + 2 * k.pad_w(), channels};
}

template <class T>
void pad(const T* x, const Shape& s, T* padded, std::int64_t channels, const Taps& k) {
  const Shape p = padded_shape(s, channels, k);
  std::memset(static_cast<void*>(padded), 0, static_cast<std::size_t>(p.numel()) * sizeof(T));
  const std::int64_t rows = s.n * s.d * s.h;
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t h = r % s.h, d = r / s.h % s.d, n = r / (s.h * s.d);
    T* to =
        padded + (((n * p.d + d + k.pad_d()) * p.h + h + k.pad_h()) * p.w + k.pad_w()) * channels;
    const T* from = x + r * s.w * s.c;
    if (channels == s.c) {
      std::memcpy(static_cast<void*>(to), from, static_cast<std::size_t>(s.w * s.c) * sizeof(T));
    } else {
      for (std::int64_t v = 0; v < s.w; ++v)
        std::copy(from + v * s.c, from + (v + 1) * s.c, to + v * channels);
    }
  }
}

// weight(o, t, i): the kernel's value for output channel o, tap t, input channel i, packed in
// blocks of B output channels (the last block zero-padded) as [block][tap][cin / P][B * P]: one
// tap and input channel (P = 1), or pair of input channels (P = 2, lane j * 2 + parity is
// output channel j of input channel 2 * pair + parity), is one contiguous vector.
template <class T, class Weight>
void pack_weights(const Weight& weight, std::int64_t cout, std::int64_t cin, ConvTile tile,
                  int taps, T* packed) {
  const std::int64_t block = tile.block, blocks = (cout + block - 1) / block;
  const int per_lane = tile.paired ? 2 : 1;
#pragma omp parallel for collapse(2) schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b)
    for (std::int64_t t = 0; t < taps; ++t)
      for (std::int64_t ci = 0; ci < cin; ++ci)
        for (std::int64_t j = 0; j < block; ++j) {
          const std::int64_t co = b * block + j;
          packed[((b * taps + t) * cin + ci / per_lane * per_lane) * block + j * per_lane +
                 ci % per_lane] = co < cout ? weight(co, t, ci) : T(0);
        }
}

// L values of T as one GCC vector: the clone's instruction set decides how many registers hold
// it, and `vector * scalar` broadcasts the scalar.
template <class T, int L>
struct Lanes {
  typedef T type __attribute__((vector_size(sizeof(T) * L)));
};
template <class T, int L>
using LanesOf = typename Lanes<T, L>::type;

// By reference: a vector returned by value would depend on the clone's calling convention.
template <class V, class T>
inline __attribute__((always_inline)) void load(V& v, const T* p) {
  std::memcpy(&v, p, sizeof v);
}

// The forward kernel walks one padded (d) plane as a single run: with padded rows of
// Wp = W + 2 pw voxels, output q = h Wp + w reads tap (a, b, c) at plane d + a, position
// q + b Wp + c, so V consecutive outputs are V consecutive input voxels for every tap, whatever
// the row length. The 2 pw positions past each row's end are computed and dropped; reads run at
// most V voxels past the last plane, into the slack the padded buffer carries.
constexpr std::int64_t kSlackVoxels = 16;

// Outputs q0 .. q0 + V - 1 of one block of B output channels, into tile [V][B * P]. P = 2 (f32
// only) fills a 16-lane register where B = 8: one 8-byte load broadcasts an input channel pair
// (x[2i], x[2i + 1]) across the lanes, which the paired weights meet; the caller adds the two
// lanes of each output channel.
//
// A voxel's B * P lanes are K vectors: where one vector would span two registers, two vectors of
// one register each keep the accumulators in registers (GCC spills a two-register vector).
template <class T, int B, int V, int P, int K>
inline __attribute__((always_inline)) void forward_tile(const T* in, std::int64_t cin, int taps,
                                                        const std::int64_t* tap_offset,
                                                        const T* weights, T* tile) {
  constexpr int L = B * P / K;
  using Vec = LanesOf<T, L>;
  using PairBits = LanesOf<std::uint64_t, B>;
  static_assert(P == 1 || (K == 1 && sizeof(T) * P == sizeof(std::uint64_t)));
  Vec acc[V][K] = {};
  for (int t = 0; t < taps; ++t) {
    const T* x = in + tap_offset[t];
    const T* wt = weights + t * cin * B;
    for (std::int64_t ci = 0; ci < cin; ci += P) {
      Vec wv[K];
      for (int k = 0; k < K; ++k) load(wv[k], wt + ci * B + k * L);
#pragma GCC unroll 12
      for (int v = 0; v < V; ++v) {
        if constexpr (P == 1) {
          const T xv = x[v * cin + ci];
          for (int k = 0; k < K; ++k) acc[v][k] += xv * wv[k];
        } else {
          std::uint64_t pair;
          std::memcpy(&pair, x + v * cin + ci, sizeof pair);
          acc[v][0] += reinterpret_cast<Vec>(PairBits{} + pair) * wv[0];
        }
      }
    }
  }
  std::memcpy(tile, acc, sizeof acc);
}

// ConvEpilogue with its bias typed: applied to each output as the tile is written.
template <class T>
struct Epilogue {
  const T* bias = nullptr;
  Activation activation = Activation::none;
  T operator()(T v, std::int64_t co) const {
    return activate(bias != nullptr ? v + bias[co] : v, activation);
  }
};

template <class T, int B, int V, int P, int K>
UNET3D_CPU_CLONES void forward_planes(const T* padded, const Shape& s, const T* packed,
                                      std::int64_t cout, Taps k, Epilogue<T> e, T* y) {
  const std::int64_t wp = s.w + 2 * k.pad_w(), plane = (s.h + 2 * k.pad_h()) * wp,
                     positions = s.h * wp - 2 * k.pad_w(), planes = s.d + 2 * k.pad_d();
  const std::int64_t tiles = (positions + V - 1) / V, blocks = (cout + B - 1) / B;
  const int taps = k.count();
  std::int64_t tap_offset[kMaxTaps];
  for (int t = 0; t < taps; ++t)
    tap_offset[t] = (t / (k.h * k.w) * plane + t / k.w % k.h * wp + t % k.w) * s.c;
#pragma omp parallel for schedule(static)
  for (std::int64_t task = 0; task < s.n * s.d * tiles; ++task) {
    const std::int64_t nd = task / tiles, q0 = task % tiles * V;
    const T* in = padded + ((nd / s.d * planes + nd % s.d) * plane + q0) * s.c;
    for (std::int64_t b = 0; b < blocks; ++b) {
      alignas(64) T tile[V * B * P];
      forward_tile<T, B, V, P, K>(in, s.c, taps, tap_offset, packed + b * taps * s.c * B, tile);
      const std::int64_t valid = std::min<std::int64_t>(B, cout - b * B);
      for (int v = 0; v < V; ++v) {
        const std::int64_t q = q0 + v, h = q / wp, w = q % wp;
        if (q >= positions || w >= s.w) continue;
        T* out = y + ((nd * s.h + h) * s.w + w) * cout + b * B;
        const T* lanes = tile + v * B * P;
        for (std::int64_t j = 0; j < valid; ++j)
          out[j] = e(P == 1 ? lanes[j] : lanes[j * P] + lanes[j * P + P - 1], b * B + j);
      }
    }
  }
}

template <class T>
void forward_with_tile(const T* padded, const Shape& s, const T* packed, std::int64_t cout,
                       ConvTile tile, const Taps& k, Epilogue<T> e, T* y) {
  // Two vectors per voxel where the tile is meant for two registers per voxel (conv_tile).
  if (tile.paired && tile.block == 8 && tile.voxels == 12 && s.c % 2 == 0) {
    if constexpr (sizeof(T) == 4)
      return forward_planes<T, 8, 12, 2, 1>(padded, s, packed, cout, k, e, y);
  }
  if (!tile.paired) switch (tile.block * 100 + tile.voxels) {
      case 806: return forward_planes<T, 8, 6, 1, 2>(padded, s, packed, cout, k, e, y);
      case 812: return forward_planes<T, 8, 12, 1, 1>(padded, s, packed, cout, k, e, y);
      case 1606: return forward_planes<T, 16, 6, 1, 2>(padded, s, packed, cout, k, e, y);
      case 1612: return forward_planes<T, 16, 12, 1, 1>(padded, s, packed, cout, k, e, y);
      case 3206: return forward_planes<T, 32, 6, 1, 2>(padded, s, packed, cout, k, e, y);
      case 3212: return forward_planes<T, 32, 12, 1, 2>(padded, s, packed, cout, k, e, y);
    }
  UNET3D_USAGE_CHECK(false, "conv3d: no kernel for a tile of ", tile.block, " channels by ",
                     tile.voxels, " voxels", tile.paired ? " with paired f32 input channels" : "",
                     " (", s.c, " input channels, ", sizeof(T), "-byte values)");
}

// y := conv(x, kernel) with Cout output channels and the taps of `k`, the kernel read through
// weight(o, t, i).
template <class T, class Weight>
void forward_direct(const T* x, const Shape& s, const Weight& weight, std::int64_t cout,
                    ConvTile tile, const Taps& k, T* y, Epilogue<T> e = {}) {
  const std::int64_t blocks = (cout + tile.block - 1) / tile.block;
  const std::int64_t padded_numel = padded_shape(s, s.c, k).numel();
  const auto padded_values = static_cast<std::size_t>(padded_numel + kSlackVoxels * s.c);
  T* padded = static_cast<T*>(
      workspace(Device::cpu,
                (padded_values + static_cast<std::size_t>(blocks * tile.block * k.count() * s.c)) *
                    sizeof(T)));
  T* packed = padded + padded_values;
  pad(x, s, padded, s.c, k);
  std::fill(padded + padded_numel, padded + padded_values, T(0));
  pack_weights(weight, cout, s.c, tile, k.count(), packed);
  forward_with_tile(padded, s, packed, cout, tile, k, e, y);
}

// dw[co, t, ci] += sum over voxels v of x[v + offset(t), ci] * dy[v, co], for the taps of the
// kernel, with x padded (space, and channels to KI) and dy's channels padded to KB. Each thread
// takes a range of output rows and, for kFlushRows rows at a time and one tile of the gradient at
// a time (one (a, b) of the kernel's d and h taps, KI input and KB output channels, all KW of its
// w taps: up to 12 vectors of accumulators), streams the rows through registers and adds the tile
// into its own f64 sums. The threads' sums are added up in thread order, so the result does not
// depend on timing.
//
// P = 2 (f32, KB = 8) fills 16 lanes as the forward's pairs do: dy's channels are doubled
// (lanes 2j and 2j + 1 both hold dy[co = j]) and meet a broadcast input channel pair, so lane
// 2j + parity sums x[ci = 2i + parity] * dy[j].
constexpr int kFlushRows = 16;

std::int64_t round_up(std::int64_t n, std::int64_t m) {
  return (n + m - 1) / m * m;
}

struct WeightTile {
  int block;     // output channels: one vector register's worth, 8 or 16
  int per_lane;  // input channels per lane: 2 where 8 f32 channels would fill half a register
};
WeightTile weight_tile(std::int64_t cout, std::int64_t cin, int vector_bytes, int value_bytes) {
  const int lanes = vector_bytes / value_bytes;
  if (lanes >= 16 && cout % 16 == 0) return {16, 1};
  return {8, lanes == 16 && value_bytes == 4 && cin >= 8 ? 2 : 1};
}

template <class T, int KB, int P, int KW>
UNET3D_CPU_CLONES int weight_rows(const T* x, std::int64_t cx, const T* dy, std::int64_t cy,
                                  const Shape& s, const Taps& k, double* partial) {
  constexpr int KI = 4 * P;  // input channels per tile
  using Vec = LanesOf<T, KB * P>;
  using PairBits = LanesOf<std::uint64_t, KB>;
  static_assert(P == 1 || sizeof(T) * P == sizeof(std::uint64_t));
  const Shape p = padded_shape(s, cx, k);
  const std::int64_t rows = s.n * s.d * s.h, values = k.count() * cy * cx, dy_stride = cy * P;
  const int pairs = static_cast<int>(k.d * k.h), kh = static_cast<int>(k.h);
  int team = 1;
#pragma omp parallel
  {
    const int id = omp_get_thread_num(), threads = omp_get_num_threads();
    if (id == 0) team = threads;
    const std::int64_t r0 = rows * id / threads, r1 = rows * (id + 1) / threads;
    double* sums = partial + id * values;  // [tap][cy][cx]
    std::fill(sums, sums + values, 0.0);
    // Chunk outermost: its rows of x and dy stay in cache for all the tiles.
    for (std::int64_t chunk = r0; chunk < r1; chunk += kFlushRows)
      for (int pair = 0; pair < pairs; ++pair)  // taps (a, b) = (pair / kh, pair % kh)
        for (std::int64_t i0 = 0; i0 < cx; i0 += KI)
          for (std::int64_t c0 = 0; c0 < cy; c0 += KB) {
            Vec acc[KW][4] = {};
            for (std::int64_t r = chunk; r < std::min(r1, chunk + kFlushRows); ++r) {
              const std::int64_t h = r % s.h, d = r / s.h % s.d, n = r / (s.h * s.d);
              const T* in = x + ((n * p.d + d + pair / kh) * p.h + h + pair % kh) * p.w * cx + i0;
              const T* g = dy + r * s.w * dy_stride + c0 * P;
              for (std::int64_t v = 0; v < s.w; ++v, g += dy_stride, in += cx) {
                Vec gv;
                load(gv, g);
                for (int kw = 0; kw < KW; ++kw)
                  for (int i = 0; i < 4; ++i) {
                    if constexpr (P == 1) {
                      acc[kw][i] += in[kw * cx + i] * gv;
                    } else {
                      std::uint64_t bits;
                      std::memcpy(&bits, in + kw * cx + i * P, sizeof bits);
                      acc[kw][i] += reinterpret_cast<Vec>(PairBits{} + bits) * gv;
                    }
                  }
              }
            }
            for (int kw = 0; kw < KW; ++kw)
              for (int i = 0; i < 4; ++i) {
                alignas(64) T lanes[KB * P];
                std::memcpy(lanes, &acc[kw][i], sizeof lanes);
                for (int j = 0; j < KB * P; ++j)
                  sums[((pair * KW + kw) * cy + c0 + j / P) * cx + i0 + i * P + j % P] += lanes[j];
              }
          }
  }
  return team;
}

// weight_rows for a kernel KW taps wide along w (1 or 3).
template <class T, int KB, int P>
int weight_rows_of(const T* x, std::int64_t cx, const T* dy, std::int64_t cy, const Shape& s,
                   const Taps& k, double* partial) {
  if (k.w == 1) return weight_rows<T, KB, P, 1>(x, cx, dy, cy, s, k, partial);
  return weight_rows<T, KB, P, 3>(x, cx, dy, cy, s, k, partial);
}

template <class T>
void backward_weights_direct(const T* x, const Shape& s, const T* dy, std::int64_t cout,
                             const Taps& k, T* dw) {
  const WeightTile tile = weight_tile(cout, s.c, conv_vector_bytes(), sizeof(T));
  const int per_lane = tile.per_lane, taps = k.count();
  const std::int64_t cx = round_up(s.c, 4 * per_lane), cy = round_up(cout, tile.block),
                     values = taps * cy * cx, voxels = s.numel() / s.c;
  const bool widen = cy != cout || per_lane != 1;
  const auto x_values = static_cast<std::size_t>(padded_shape(s, cx, k).numel()),
             dy_values = widen ? static_cast<std::size_t>(voxels * cy * per_lane) : 0,
             partial_bytes =
                 static_cast<std::size_t>(omp_get_max_threads() * values) * sizeof(double);
  char* space = static_cast<char*>(
      workspace(Device::cpu, partial_bytes + (x_values + dy_values) * sizeof(T)));
  auto* partial = reinterpret_cast<double*>(space);
  T* padded_x = reinterpret_cast<T*>(space + partial_bytes);
  pad(x, s, padded_x, cx, k);
  const T* wide_dy = dy;
  if (widen) {  // channels padded to the block and repeated per_lane times, no spatial border
    T* widened = padded_x + x_values;
    const std::int64_t stride = cy * per_lane;
#pragma omp parallel for schedule(static)
    for (std::int64_t v = 0; v < voxels; ++v) {
      T* to = widened + v * stride;
      const T* from = dy + v * cout;
      if (per_lane == 1) {
        std::copy(from, from + cout, to);
      } else {
        for (std::int64_t co = 0; co < cout; ++co) to[2 * co] = to[2 * co + 1] = from[co];
      }
      std::fill(to + cout * per_lane, to + stride, T(0));
    }
    wide_dy = widened;
  }
  int team = 0;
  if (tile.block == 16) team = weight_rows_of<T, 16, 1>(padded_x, cx, wide_dy, cy, s, k, partial);
  if (tile.block == 8 && per_lane == 1)
    team = weight_rows_of<T, 8, 1>(padded_x, cx, wide_dy, cy, s, k, partial);
  if constexpr (sizeof(T) == 4)
    if (tile.block == 8 && per_lane == 2)
      team = weight_rows_of<T, 8, 2>(padded_x, cx, wide_dy, cy, s, k, partial);
#pragma omp parallel for schedule(static)
  for (std::int64_t co = 0; co < cout; ++co)
    for (std::int64_t t = 0; t < taps; ++t)
      for (std::int64_t ci = 0; ci < s.c; ++ci) {
        double total = 0;
        for (int i = 0; i < team; ++i) total += partial[i * values + (t * cy + co) * cx + ci];
        dw[(co * taps + t) * s.c + ci] += static_cast<T>(total);
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

void conv3d_forward_tiled(const Tensor& x, const Tensor& w, Tensor& y, ConvTile tile,
                          const ConvEpilogue& e) {
  with_cpu_conv_type("conv3d_forward", x, [&](auto zero) {
    using T = decltype(zero);
    const T* weights = w.data_as<T>();
    const std::int64_t cin = x.shape().c;
    const Taps k(w.shape());
    const int taps = k.count();
    forward_direct(
        x.data_as<T>(), x.shape(),
        [=](std::int64_t o, std::int64_t t, std::int64_t i) {
          return weights[(o * taps + t) * cin + i];
        },
        w.shape().n, tile, k, y.data_as<T>(),
        Epilogue<T>{e.bias ? e.bias->data_as<T>() : nullptr, e.activation});
  });
}

void conv3d_forward(const Tensor& x, const Tensor& w, Tensor& y, const ConvEpilogue& e) {
  UNET3D_USAGE_CHECK(e.bias != nullptr || e.activation == Activation::none,
                     "conv3d_forward: an activation epilogue needs a bias");
  with_cpu_conv_type("conv3d_forward", x, [&](auto zero) {
    const Shape& s = x.shape();
    const std::int64_t cout = w.shape().n;
    if (Taps(w.shape()).count() > 1)
      return conv3d_forward_tiled(x, w, y, conv_tile(cout, s.c, conv_vector_bytes(), sizeof zero),
                                  e);
    // y [voxels, Cout] = x [voxels, Cin] * w^T, then the epilogue as a pass of its own.
    gemm(Device::cpu, problem(s.numel() / s.c, cout, s.c, x.dtype()), 1.0, {x.data(), false},
         {w.data(), true}, 0.0, y.data());
    if (e.bias != nullptr) add_channel_bias({y, *e.bias, e.activation});
  });
}

void conv3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  with_cpu_conv_type("conv3d_backward_data", dy, [&](auto zero) {
    using T = decltype(zero);
    const Shape& ks = w.shape();  // [Cout, kd, kh, kw, Cin]
    const Shape& s = dy.shape();
    const std::int64_t cout = ks.n, cin = ks.c;
    const Taps k(ks);
    const int taps = k.count();
    if (taps == 1)  // dx [voxels, Cin] = dy [voxels, Cout] * w
      return gemm(Device::cpu, problem(s.numel() / s.c, cin, cout, dy.dtype()), 1.0,
                  {dy.data(), false}, {w.data(), false}, 0.0, dx.data());
    // The adjoint convolution's kernel (every axis flipped: tap t becomes taps - 1 - t), output
    // channel ci, tap t, input channel co: w[co, taps - 1 - t, ci].
    const T* weights = w.data_as<T>();
    forward_direct(
        dy.data_as<T>(), s,
        [=](std::int64_t ci, std::int64_t t, std::int64_t co) {
          return weights[(co * taps + (taps - 1 - t)) * cin + ci];
        },
        cin, conv_tile(cin, cout, conv_vector_bytes(), sizeof zero), k, dx.data_as<T>());
  });
}

void conv3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw) {
  with_cpu_conv_type("conv3d_backward_weights", x, [&](auto zero) {
    using T = decltype(zero);
    const Shape& s = x.shape();
    const std::int64_t cout = dw.shape().n;
    const Taps k(dw.shape());
    if (k.count() == 1)  // dw [Cout, Cin] += dy^T [Cout, voxels] * x [voxels, Cin]
      return gemm(Device::cpu, problem(cout, s.c, s.numel() / s.c, x.dtype()), 1.0,
                  {dy.data(), true}, {x.data(), false}, 1.0, dw.data());
    backward_weights_direct(x.data_as<T>(), s, dy.data_as<T>(), cout, k, dw.data_as<T>());
  });
}

}  // namespace unet3d::cpu
