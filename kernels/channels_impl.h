// Channel concatenation and split written once against an execution policy.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/channels.h"
#include "kernels/indexing.h"
#include "runtime/hd.h"
#include "runtime/shape.h"

namespace unet3d::channels_impl {

// One run per row: a's channels, then b's, each a plain copy loop where the CPU runs the whole
// row (a GPU thread takes one element of it).
template <class Exec, class S>
void concat(const S* a, const S* b, S* out, std::int64_t rows, std::int64_t ca, std::int64_t cb) {
  const std::int64_t c = ca + cb;
  Exec::for_each_run(rows, c,
                     [=] UNET3D_HD_LAMBDA(std::int64_t r, std::int64_t first, std::int64_t end) {
                       S* to = out + r * c;
                       for (std::int64_t k = first; k < end && k < ca; ++k) to[k] = a[r * ca + k];
                       for (std::int64_t k = first > ca ? first : ca; k < end; ++k)
                         to[k] = b[r * cb + (k - ca)];
                     });
}

template <class Exec, class S>
void split(const S* dout, S* da, S* db, std::int64_t rows, std::int64_t ca, std::int64_t cb) {
  const std::int64_t c = ca + cb;
  Exec::for_each_run(rows, c,
                     [=] UNET3D_HD_LAMBDA(std::int64_t r, std::int64_t first, std::int64_t end) {
                       const S* from = dout + r * c;
                       for (std::int64_t k = first; k < end && k < ca; ++k)
                         da[r * ca + k] = from[k];
                       for (std::int64_t k = first > ca ? first : ca; k < end; ++k)
                         db[r * cb + (k - ca)] = from[k];
                     });
}

// A voxel row of [N', D, H, W, C'] holds item row / (D H W); the first N items and C channels
// of each are x's, the rest zeros. Both move elements as bits (E: an unsigned integer as wide as
// the dtype; all-zero bits are 0 in every floating-point dtype).
template <class Exec, class E>
void pad(const E* x, E* padded, Shape small, Shape big) {
  const IndexDivider channel = index_divider(big.c, big.numel()),
                     item = index_divider(big.spatial(), big.numel());
  const std::int64_t items = small.n, channels = small.c;
  Exec::for_each(big.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    const std::int64_t row = channel.quotient(i), c = channel.remainder(i);
    padded[i] = c < channels && item.quotient(row) < items ? x[row * channels + c] : E{0};
  });
}

// x's rows are the first rows of `padded` (the items beyond N come after them).
template <class Exec, class E>
void crop(const E* padded, E* x, Shape small, Shape big) {
  const IndexDivider channel = index_divider(small.c, small.numel());
  const std::int64_t wide = big.c;
  Exec::for_each(small.numel(), [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    x[i] = padded[channel.quotient(i) * wide + channel.remainder(i)];
  });
}

}  // namespace unet3d::channels_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On>
void concat_channels(const Tensor& a, const Tensor& b, Tensor& out) {
  Exec<On>::with_storage_type("concat_channels", out, [&](auto s) {
    channels_impl::concat<Exec<On>>(typed(s, a), typed(s, b), typed(s, out),
                                    a.numel() / a.shape().c, a.shape().c, b.shape().c);
  });
}

template <class On>
void split_channels(const Tensor& dout, Tensor& da, Tensor& db) {
  Exec<On>::with_storage_type("split_channels", dout, [&](auto s) {
    channels_impl::split<Exec<On>>(typed(s, dout), typed(s, da), typed(s, db),
                                   da.numel() / da.shape().c, da.shape().c, db.shape().c);
  });
}

template <class On>
void pad_channels(const Tensor& x, Tensor& padded) {
  with_element_bits(x.dtype(), [&](auto e) {
    channels_impl::pad<Exec<On>>(typed(e, x), typed(e, padded), x.shape(), padded.shape());
  });
}

template <class On>
void crop_channels(const Tensor& padded, Tensor& x) {
  with_element_bits(x.dtype(), [&](auto e) {
    channels_impl::crop<Exec<On>>(typed(e, padded), typed(e, x), x.shape(), padded.shape());
  });
}

}  // namespace unet3d::backend
