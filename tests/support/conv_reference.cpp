// Conv3d and ConvTranspose3d written out.
#include "tests/support/conv_reference.h"

#include "verify/parity.h"

namespace unet3d::testing {
namespace {

// Visits every (output voxel, tap) pair whose input voxel lies inside x: fn(in, out, tap) with
// the flat voxel indices of x and y and the tap's index (a kh + b) kw + c.
template <class Fn>
void for_each_tap(const Shape& s, const Shape& k, Fn fn) {
  const std::int64_t pd = (k.d - 1) / 2, ph = (k.h - 1) / 2, pw = (k.w - 1) / 2;
  for (std::int64_t n = 0; n < s.n; ++n)
    for (std::int64_t d = 0; d < s.d; ++d)
      for (std::int64_t h = 0; h < s.h; ++h)
        for (std::int64_t v = 0; v < s.w; ++v)
          for (std::int64_t a = 0; a < k.d; ++a)
            for (std::int64_t b = 0; b < k.h; ++b)
              for (std::int64_t c = 0; c < k.w; ++c) {
                const std::int64_t zd = d + a - pd, zh = h + b - ph, zw = v + c - pw;
                if (zd < 0 || zd >= s.d || zh < 0 || zh >= s.h || zw < 0 || zw >= s.w) continue;
                fn(((n * s.d + zd) * s.h + zh) * s.w + zw, ((n * s.d + d) * s.h + h) * s.w + v,
                   (a * k.h + b) * k.w + c);
              }
}

}  // namespace

std::vector<double> direct_conv(const Tensor& xt, const Tensor& wt, const Tensor* bt) {
  const Shape s = xt.shape(), k = wt.shape();
  const std::vector<double> x = to_doubles(xt), w = to_doubles(wt);
  const std::vector<double> b = bt ? to_doubles(*bt) : std::vector<double>(k.n, 0.0);
  const std::int64_t taps = k.d * k.h * k.w;
  std::vector<double> y(static_cast<std::size_t>(s.numel() / s.c * k.n));
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = b[i % static_cast<std::size_t>(k.n)];
  for_each_tap(s, k, [&](std::int64_t in, std::int64_t out, std::int64_t t) {
    for (std::int64_t o = 0; o < k.n; ++o)
      for (std::int64_t i = 0; i < s.c; ++i)
        y[out * k.n + o] += x[in * s.c + i] * w[(o * taps + t) * s.c + i];
  });
  return y;
}

void direct_conv_gradients(const Tensor& xt, const Tensor& wt, const Tensor& dyt,
                           std::vector<double>& dx, std::vector<double>& dw) {
  const Shape s = xt.shape(), k = wt.shape();
  const std::vector<double> x = to_doubles(xt), w = to_doubles(wt), dy = to_doubles(dyt);
  const std::int64_t taps = k.d * k.h * k.w;
  dx.assign(static_cast<std::size_t>(s.numel()), 0.0);
  dw.assign(static_cast<std::size_t>(k.numel()), 0.0);
  for_each_tap(s, k, [&](std::int64_t in, std::int64_t out, std::int64_t t) {
    for (std::int64_t o = 0; o < k.n; ++o)
      for (std::int64_t i = 0; i < s.c; ++i) {
        const std::int64_t wi = (o * taps + t) * s.c + i;
        dx[in * s.c + i] += w[wi] * dy[out * k.n + o];
        dw[wi] += x[in * s.c + i] * dy[out * k.n + o];
      }
  });
}

std::vector<double> direct_transpose(const Tensor& xt, const Tensor& wt, const Tensor& bt) {
  const Shape s = xt.shape(), k = wt.shape();  // k: [Cin, bd, bh, bw, Cout]
  const std::vector<double> x = to_doubles(xt), w = to_doubles(wt), b = to_doubles(bt);
  const Shape o{s.n, k.d * s.d, k.h * s.h, k.w * s.w, k.c};
  const std::int64_t blocks = k.d * k.h * k.w;
  std::vector<double> y(static_cast<std::size_t>(o.numel()));
  for (std::int64_t i = 0; i < o.numel(); ++i) y[i] = b[i % k.c];
  for (std::int64_t n = 0; n < s.n; ++n)
    for (std::int64_t d = 0; d < s.d; ++d)
      for (std::int64_t h = 0; h < s.h; ++h)
        for (std::int64_t v = 0; v < s.w; ++v)
          for (std::int64_t ci = 0; ci < s.c; ++ci)
            for (std::int64_t a = 0; a < blocks; ++a)
              for (std::int64_t co = 0; co < k.c; ++co) {
                const std::int64_t od = k.d * d + a / (k.h * k.w), oh = k.h * h + a / k.w % k.h,
                                   ow = k.w * v + a % k.w;
                y[(((n * o.d + od) * o.h + oh) * o.w + ow) * o.c + co] +=
                    x[(((n * s.d + d) * s.h + h) * s.w + v) * s.c + ci] *
                    w[(ci * blocks + a) * k.c + co];
              }
  return y;
}

std::vector<cpu::ConvTile> every_conv_tile() {
  std::vector<cpu::ConvTile> tiles{{8, 12, true}};
  for (const int block : {8, 16, 32})
    for (const int voxels : {6, 12}) tiles.push_back({block, voxels, false});
  return tiles;
}

}  // namespace unet3d::testing
