// The losses of docs/model.md, their values and their gradients with respect to the logits
// (softmax included), in f32 whatever the logits' precision (f64 for f64 logits, on the CPU).
//
// logits: [N, D, H, W, C] f16/f32 (f64 on the CPU), C <= kMaxClasses; labels: [N, D, H, W, 1]
// u8 in [0, C) (other values are a data error found when data is loaded; here such voxels
// count as no class). loss: Shape::scalar() (combined: Shape::vector(3)), f32 (f64 for f64
// logits). Sums run over every voxel of every volume in the batch.
#pragma once

#include "kernels/rank_sums.h"
#include "runtime/tensor.h"

namespace unet3d {

inline constexpr int kMaxClasses = 32;

// What the caller wants of the gradient: dlogits := (or +=, when accumulate) scale * dL/dlogits,
// times *loss_scale where that is given (the loss scaler's scale, read on the device so that
// the host never waits for it). No dlogits: the value alone. With `ranks` (data-parallel training),
// the loss's sums (Dice's per-class sums, the cross-entropy's weighted sum and weight sum) are
// summed over the ranks before the loss and its gradient are formed: the loss is the global
// batch's, and dlogits this rank's share of its gradient.
struct LossGradient {
  Tensor* dlogits = nullptr;
  double scale = 1.0;
  bool accumulate = false;
  RankSums* ranks = nullptr;
  const double* loss_scale = nullptr;  // on the logits' device
};

// Batch Dice: L = 1 - mean_c (2 sum p_c g_c + eps) / (sum p_c + sum g_c + eps), eps = 1e-5,
// the mean over all classes or, with exclude_background, over classes 1..C-1.
// Where a gradient is written (not added) in f32 or f64, the softmax is computed once into the
// gradient buffer and the sums and the gradient read it; otherwise two passes over the logits
// recompute it (one for the per-class sums, one for the gradient).
struct DiceLossArgs {
  const Tensor &logits, &labels;
  bool exclude_background;
  Tensor& loss;
  LossGradient grad = {};
};
void dice_loss(const DiceLossArgs& a);

// log(max(L_dice, 1e-7)), the term the combined loss uses (gradient 0 where clamped).
void log_dice_loss(const DiceLossArgs& a);

// Mean of -log p_y over voxels or, with class_weights ([C], the loss's dtype), PyTorch's
// weighted mean sum_v w_y (-log p_y) / sum_v w_y.
struct CrossEntropyArgs {
  const Tensor &logits, &labels;
  const Tensor* class_weights;
  Tensor& loss;
  LossGradient grad = {};
};
void cross_entropy(const CrossEntropyArgs& a);

// alpha * weighted CE + beta * log(max(L_dice, 1e-7)). loss: Shape::vector(3) holding
// [combined, weighted CE, log Dice].
struct CombinedLossArgs {
  const Tensor &logits, &labels, &class_weights;
  double alpha;
  double beta;
  bool exclude_background;
  Tensor& loss;
  LossGradient grad = {};
};
void combined_loss(const CombinedLossArgs& a);

// A training's running tally of its losses, f64 [kLossTally] on the losses' device, which the
// host reads without waiting (runtime/host_mirror.h): the sum and count of the micro-batch
// losses, the last one, and the sum as the last optimizer step left it.
inline constexpr int kLossTally = 4;
inline constexpr int kLossSum = 0, kLossCount = 1, kLastLoss = 2, kLossSumAtStep = 3;

// A micro-batch's loss as a weighted sum of the loss tensors' first values (the deep-supervision
// outputs' losses, dicece's two terms), all f32 or all f64.
struct LossTerms {
  static constexpr int kMax = 32;
  const void* values[kMax];
  double weights[kMax];
  int count = 0;
  bool f64 = false;
  Device device = Device::cpu;
  void add(const Tensor& loss, double weight);
};
// tally: the micro-batch loss sum_k weights[k] values[k][0] added to the sum, counted, and kept as
// the last.
struct TallyLossArgs {
  const LossTerms& terms;
  Tensor& tally;
};
void tally_loss(const TallyLossArgs& a);

// tally: the sum at the step := the sum.
struct MarkLossStepArgs {
  Tensor& tally;
};
void mark_loss_step(const MarkLossStepArgs& a);

}  // namespace unet3d
