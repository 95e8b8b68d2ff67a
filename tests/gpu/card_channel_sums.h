// The card's per-channel sums of tests/support/reduction_term.h's term, for comparing with the
// CPU emulation of their decomposition (kernels/channel_reduce_emulation.h).
#pragma once

#include <cstdint>
#include <vector>

namespace unet3d::testing {

// gpu::channel_sums<2> of ReductionTestTerm over `rows` rows of `channels`, copied to the host.
std::vector<double> card_channel_sums(std::int64_t rows, std::int64_t channels);

}  // namespace unet3d::testing
