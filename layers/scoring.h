// What the programs compute from a network's output to segment volumes and score them
// (docs/formats.md), on the device the tensors live on: the label map on the output's own grid,
// the counts per-class Dice is computed from, and an ensemble's segmentation on a volume's
// native grid. tools/ calls these, not kernels/; layers/inference.h has the rest of what follows
// the network (its class probabilities, one model's native segmentation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "runtime/tensor.h"

namespace unet3d {

// labels ([N, D, H, W, 1] u8) := per voxel the first class of maximal score (overwritten);
// scores ([N, D, H, W, C] f32, or the network's f16 logits) on one grid: the network's, or a
// volume's at the target spacing.
void grid_segmentation(const Tensor& scores, Tensor& labels);

// counts ([N, 1, 1, 3, classes] f64) := for each volume n and class c, |P_c ∩ G_c|, |P_c| and
// |G_c| of the label maps `prediction` and `truth` ([N, D, H, W, 1] u8 on one device).
void overlap_counts(const Tensor& prediction, const Tensor& truth, Tensor& counts);

// segmentation ([1, D, H, W, 1] u8, a volume's native grid) := the argmax (the lowest class wins
// ties) of the mean over `models` models of their class probabilities, model_probabilities(m)
// ([1, d, h, w, classes] f32 on the model's own grid) resized trilinearly to the native grid;
// `probabilities`, when given ([1, D, H, W, classes] f32), := that mean.
void ensemble_segmentation(std::int64_t classes, std::size_t models,
                           const std::function<Tensor(std::size_t)>& model_probabilities,
                           Tensor& segmentation, Tensor* probabilities);

}  // namespace unet3d
