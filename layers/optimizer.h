// The optimizers over a ParameterStore (docs/model.md): torch.optim.Adam, AdamW and SGD with
// Nesterov momentum, and dynamic loss scaling as torch.cuda.amp.GradScaler's defaults. A step is
// one pass that counts inf/NaN gradients, then, unless the step is skipped, one fused update. A
// skipped step leaves the parameters, the optimizer's state and its step count as they were.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/adam.h"
#include "layers/parameters.h"

namespace unet3d {

enum class OptimizerKind { adam, adamw, sgd };

// "adam", "adamw" or "sgd"; anything else is a usage Error naming `flag`.
OptimizerKind parse_optimizer(const std::string& word, const std::string& flag);
const char* optimizer_word(OptimizerKind kind);  // the same words

struct OptimizerOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;  // Adam's defaults
  OptimizerKind kind = OptimizerKind::adam;
  double momentum = 0.99;  // sgd (Nesterov)
};

class Optimizer {
 public:
  Optimizer(ParameterStore& params, const OptimizerOptions& options);

  // Unscales the gradients by 1 / loss_scale and, if all are finite, updates every parameter
  // (and its f16 copy) and returns true; otherwise returns false. Either way the gradients are
  // zero afterwards, ready for the next accumulation. Reads one number back from the device.
  bool step(double loss_scale);

  std::int64_t steps() const { return steps_; }
  void set_steps(std::int64_t steps) { steps_ = steps; }
  const OptimizerOptions& options() const { return options_; }
  // The rate of the steps from now on (a schedule's, per epoch).
  void set_lr(double lr) { options_.lr = lr; }
  // The state a checkpoint keeps, by name, each flat like ParameterStore::values(): Adam's and
  // AdamW's moments ("adam.exp_avg", "adam.exp_avg_sq"), SGD's "sgd.momentum_buffer".
  std::vector<std::pair<std::string, Tensor*>> state();

 private:
  ParameterStore& params_;
  OptimizerOptions options_;
  std::int64_t steps_ = 0;
  Tensor first_, second_;              // Adam: the moments; SGD: the momentum buffer (first_)
  Tensor nonfinite_, nonfinite_host_;  // the check's result, on the device and read back
};

class LossScaler {
 public:
  static constexpr double kInitialScale = 65536.0;
  static constexpr std::int64_t kGrowthInterval = 2000;

  // Disabled (f32 training): the scale stays 1 and nothing ever changes.
  explicit LossScaler(bool enabled) : enabled_(enabled), scale_(enabled ? kInitialScale : 1.0) {}

  double scale() const { return scale_; }
  bool enabled() const { return enabled_; }
  std::int64_t growth_tracker() const { return growth_tracker_; }
  std::int64_t skipped_steps() const { return skipped_; }
  // After an optimizer step: halve on overflow; double after kGrowthInterval clean steps.
  void update(bool found_nonfinite);
  void restore(double scale, std::int64_t growth_tracker, std::int64_t skipped);

 private:
  bool enabled_;
  double scale_;
  std::int64_t growth_tracker_ = 0, skipped_ = 0;
};

}  // namespace unet3d
