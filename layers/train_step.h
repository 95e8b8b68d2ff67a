// One training step of the UNet3D, as the trainer drives it: micro-batches (forward, loss,
// backward with the gradient scaled by loss_scale / accum and summed into the parameters'
// gradients), then one optimizer step after `accum` of them (or after an epoch's leftovers).
// With deep supervision the loss is the weighted mean of every output's loss on the labels
// reduced to its grid (nearest-exact: voxel q j + floor(q / 2) for a pooling of q).
// Every buffer it uses is allocated when it is built; a step allocates nothing, and nothing in it
// waits for the device: the losses are summed on the device and read where they are printed.
#pragma once

#include <vector>

#include "layers/data_parallel.h"
#include "layers/optimizer.h"
#include "layers/unet3d.h"
#include "runtime/host_mirror.h"

namespace unet3d {

enum class LossKind { dice, ce, wce, combined, dicece };

struct LossOptions {
  LossKind kind = LossKind::dice;
  bool exclude_background = false;
  double alpha = 0.5, beta = 0.5;  // combined: alpha * wce + beta * log(dice)
  // dicece (nnU-Net's): the Dice loss (exclude_background applies) + unweighted cross-entropy.
};

class TrainingStep {
 public:
  // class_weights ([num_classes], f32, f64 for f64 networks; on the network's device) are
  // needed by wce and combined and must outlive this object.
  TrainingStep(UNet3D& net, Optimizer& optimizer, LossScaler& scaler, const LossOptions& loss,
               const Tensor* class_weights, int accum);

  // [batch, size, size, size, 1] u8 on the network's device: fill it and net.input(), then
  // call micro_batch().
  Tensor labels() { return labels_.alias(); }
  // Forward, loss and backward of the micro-batch in place; its loss (not divided by accum) is
  // added to the tally on the device. `step_follows`: apply() comes next (the last micro-batch
  // of the step), so that a data-parallel averager may begin summing gradients while backward
  // still runs; never for a micro-batch whose gradients will still grow.
  void micro_batch(bool step_follows = false);
  // The optimizer step, skipped on the device where a gradient is inf/NaN (the scaler backs
  // off; optimizer.steps() counts only the steps taken). With an averager, the gradients are
  // first averaged over the ranks (data-parallel training).
  void apply();

  // The micro-batch losses since set_losses: their sum and count, and the sum as the last
  // apply() left it.
  struct Losses {
    double sum = 0, count = 0, sum_at_step = 0;
  };
  // As the last copy from the device that has arrived left them (asks for a fresher one), for
  // progress lines: never waits.
  Losses latest_losses();
  // After every micro-batch queued so far: waits for the device.
  Losses current_losses();
  // Starts the tally at `sum` over `count` micro-batches (an epoch's start, or a resumed one).
  void set_losses(double sum, std::int64_t count);
  // The last micro-batch's loss; waits for the device.
  double last_loss();
  // Data-parallel training: apply() combines the ranks' gradients with `averager`. With
  // `loss_sums`, the loss is the global batch's (kernels/loss.h) and each rank's gradient its
  // share of the global one, so the shares are summed; without, each rank's loss is its own
  // batch's and the gradients are averaged (as PyTorch DDP). Both must outlive this.
  void set_data_parallel(GradientAverager* averager, RankSums* loss_sums) {
    averager_ = averager, loss_sums_ = loss_sums;
  }
  // The loss of the network's current output on the labels, in evaluation mode, no gradient
  // (not tallied): the head's alone, as inference reads it. Waits for the device.
  double evaluate();

 private:
  // One of the network's outputs (UNet3D::output): its share of the loss (w_k / sum w, docs/
  // model.md's deep-supervision weights; 1 without deep supervision), its labels (the
  // micro-batch's, or those reduced to its grid) and its loss tensors.
  struct Output {
    double weight;
    Tensor labels, loss, ce_loss;  // ce_loss: dicece's cross-entropy term beside the Dice term
  };
  // Output k's loss (and, with grad, its gradient scaled by its weight) into its loss tensors.
  void loss_on(Output& out, const Tensor& logits, Tensor* grad);
  // loss[0], read back through `host`.
  static double first_value(Tensor& host, const Tensor& loss);

  UNet3D& net_;
  Optimizer& optimizer_;
  LossScaler& scaler_;
  LossOptions loss_options_;
  const Tensor* class_weights_;
  int accum_;
  GradientAverager* averager_ = nullptr;
  RankSums* loss_sums_ = nullptr;
  Tensor labels_, loss_host_, ce_loss_host_;
  std::vector<Output> outputs_;  // the head's first
  HostMirror tally_;             // kernels/loss.h: kLossSum, kLossCount, kLastLoss, ...
};

}  // namespace unet3d
