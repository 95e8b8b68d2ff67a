// A per-channel-sum term (kernels/channel_reduce.h) for the tests of the reduction's
// decomposition, built by the host compiler and by nvcc alike: per (row, channel) a small
// integer (exact in any order) and a quotient with a long fraction (rounded differently by each
// order). Division is correctly rounded on both sides, so each term is the same bits on the CPU
// and on the card.
#pragma once

#include <cstdint>

#include "kernels/channel_reduce.h"

namespace unet3d::testing {

struct ReductionTestTerm {
  UNET3D_HD Sums<2> operator()(std::int64_t r, std::int64_t c) const {
    return {{static_cast<double>((r * 31 + c * 17) % 23) - 11.0,
             1.0 / static_cast<double>(3 + (r * 7 + c * 13) % 101)}};
  }
};

}  // namespace unet3d::testing
