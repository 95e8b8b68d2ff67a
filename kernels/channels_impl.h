// Channel concatenation and split written once against an execution policy.
#pragma once

#include <cstdint>

#include "runtime/hd.h"

namespace unet3d::channels_impl {

template <class Exec, class S>
void concat(const S* a, const S* b, S* out, std::int64_t rows, std::int64_t ca, std::int64_t cb) {
  const std::int64_t c = ca + cb;
  Exec::for_each(rows * c, [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    const std::int64_t row = i / c, k = i % c;
    out[i] = k < ca ? a[row * ca + k] : b[row * cb + (k - ca)];
  });
}

template <class Exec, class S>
void split(const S* dout, S* da, S* db, std::int64_t rows, std::int64_t ca, std::int64_t cb) {
  const std::int64_t c = ca + cb;
  Exec::for_each(rows * ca,
                 [=] UNET3D_HD_LAMBDA(std::int64_t i) { da[i] = dout[(i / ca) * c + i % ca]; });
  Exec::for_each(rows * cb, [=] UNET3D_HD_LAMBDA(std::int64_t i) {
    db[i] = dout[(i / cb) * c + ca + i % cb];
  });
}

}  // namespace unet3d::channels_impl
