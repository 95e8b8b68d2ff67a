// Predictions and the counts per-class Dice is computed from (docs/formats.md).
#pragma once

#include "runtime/tensor.h"

namespace unet3d {

// labels := the first class of maximal logit, per voxel (overwritten). logits [N,D,H,W,C]
// f16/f32 (f64 on the CPU), C <= 255; labels [N,D,H,W,1] u8.
struct ArgmaxChannelsArgs {
  const Tensor& logits;
  Tensor& labels;
};
void argmax_channels(const ArgmaxChannelsArgs& a);

// counts[n][0][c] := |P_c ∩ G_c|, counts[n][1][c] := |P_c|, counts[n][2][c] := |G_c| for each
// volume n and class c < classes (overwritten). prediction, truth: [N,D,H,W,1] u8; counts:
// [N, 1, 1, 3, classes] f64 (exact up to 2^53 voxels).
struct DiceCountsArgs {
  const Tensor &prediction, &truth;
  Tensor& counts;
};
void dice_counts(const DiceCountsArgs& a);

}  // namespace unet3d
