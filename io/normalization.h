// Each input channel's intensity normalisation (docs/data.md, Normalisation): the per-volume
// z-score, or CT's: clip to the dataset's foreground range, then z-score with the dataset's
// foreground mean and std. As text (checkpoint metadata, trainer's --normalization), one entry
// per channel separated by ';': "zscore" or "ct:lo,hi,mean,std".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unet3d {

struct ChannelNormalization {
  bool ct = false;  // false: the per-volume z-score
  double lo = 0, hi = 0, mean = 0, std = 1;
  bool operator==(const ChannelNormalization&) const = default;
};
// One entry per channel; empty: every channel z-scored.
using Normalization = std::vector<ChannelNormalization>;

// A usage Error naming `what` for text that is not one well-formed entry per channel (lo <= hi,
// std > 0). A single "zscore" stands for every channel.
Normalization parse_normalization(const std::string& text, std::int64_t channels,
                                  const std::string& what);
// The text of `n` for `channels` channels (an empty `n`: "zscore" for each).
std::string normalization_text(const Normalization& n, std::int64_t channels);
// Whether any channel is not z-scored per volume.
bool has_ct(const Normalization& n);

}  // namespace unet3d
