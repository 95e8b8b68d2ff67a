// The network of a training run and everything that trains and scores it, built once for the
// run's shapes (S^3 in resize mode, the patch in patch mode): the UNet3D, its optimizer and loss
// scaler, the class weights of the training cases, the training step and both evaluators.
#pragma once

#include <cstdint>
#include <vector>

#include "layers/data_parallel.h"
#include "layers/train_step.h"
#include "tools/evaluation/evaluator.h"
#include "tools/evaluation/window_evaluator.h"
#include "tools/model/checkpoint.h"
#include "tools/run/run_data.h"

namespace unet3d {

struct Training {
  UNetConfig config;
  UNet3D net;
  Optimizer optimizer;
  LossScaler scaler;
  Tensor class_weights;
  TrainingStep step;
  // Data-parallel training (several ranks): the sums the loss and, with --sync-bn, BatchNorm
  // share, and the gradients' average; idle in a world of one.
  CommunicatorSums rank_sums;
  GradientAverager averager;
  Evaluator evaluator;
  WindowEvaluator window_evaluator;
  ModelInfo shape;  // the mode, size, spacing and patch every checkpoint records

  Training(const RunConfig& c, const RunData& data, const std::vector<std::size_t>& train,
           Grid grid, Device device, Precision precision, Communicator& ranks);

  // Every rank := rank 0's weights, buffers, optimizer state and step count, loss scaler and
  // BatchNorm's batch count (at the start, and after rank 0 has read a checkpoint).
  void share_rank0_state(Communicator& ranks);

  // What a checkpoint after `epoch` epochs and `steps` optimizer steps records.
  ModelInfo info(std::int64_t epoch, std::int64_t steps) const {
    ModelInfo i = shape;
    i.config = config, i.epoch = epoch, i.step = steps, i.has_metadata = true;
    return i;
  }
};

}  // namespace unet3d
