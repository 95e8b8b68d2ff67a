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

template <class On, DType D>
void concat_channels(const ConcatChannelsArgs& a) {
  using S = storage_t<On, D>;
  channels_impl::concat<Exec<On>>(typed(S{}, a.first), typed(S{}, a.second), typed(S{}, a.out),
                                  a.first.numel() / a.first.shape().c, a.first.shape().c,
                                  a.second.shape().c);
}

template <class On, DType D>
void split_channels(const SplitChannelsArgs& a) {
  using S = storage_t<On, D>;
  channels_impl::split<Exec<On>>(typed(S{}, a.dout), typed(S{}, a.da), typed(S{}, a.db),
                                 a.da.numel() / a.da.shape().c, a.da.shape().c, a.db.shape().c);
}

template <class On>
void pad_channels(const PadChannelsArgs& a) {
  with_element_bits(a.x.dtype(), [&](auto e) {
    channels_impl::pad<Exec<On>>(typed(e, a.x), typed(e, a.padded), a.x.shape(), a.padded.shape());
  });
}

template <class On>
void crop_channels(const CropChannelsArgs& a) {
  with_element_bits(a.x.dtype(), [&](auto e) {
    channels_impl::crop<Exec<On>>(typed(e, a.padded), typed(e, a.x), a.x.shape(), a.padded.shape());
  });
}

}  // namespace unet3d::backend

#define UNET3D_CHANNELS_ENTRIES(X) \
  X(FLOAT, concat_channels) X(FLOAT, split_channels) X(PLAIN, pad_channels) X(PLAIN, crop_channels)
