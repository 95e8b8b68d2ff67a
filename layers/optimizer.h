// The optimizers over a ParameterStore (docs/model.md): torch.optim.Adam, AdamW and SGD with
// Nesterov momentum, and dynamic loss scaling as torch.cuda.amp.GradScaler's defaults. A step is
// one pass that counts inf/NaN gradients, then one fused update that leaves the parameters, the
// optimizer's state and its step count as they were where that count is not zero. The decision
// stays on the device (kernels/step_control.h): the host waits for the card only when it reads
// a count or the scale (steps(), scale(), ...), never within a step.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/adam.h"
#include "kernels/step_control.h"
#include "layers/parameters.h"
#include "runtime/host_mirror.h"

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

class LossScaler;

class Optimizer {
 public:
  Optimizer(ParameterStore& params, const OptimizerOptions& options);

  // Unscales the gradients by 1 / the scaler's scale and, if all are finite, updates every
  // parameter (and its f16 copy); otherwise the step is skipped. Either way the gradients are
  // zero afterwards, ready for the next accumulation, and the scaler has taken the step's
  // outcome. Queued on the device; nothing is read back.
  void step(LossScaler& scaler);

  // Steps taken (skipped ones not counted); waits for the device's queued work.
  std::int64_t steps();
  void set_steps(std::int64_t steps);
  const OptimizerOptions& options() const { return options_; }
  // The rate of the steps from now on (a schedule's, per epoch).
  void set_lr(double lr) { options_.lr = lr; }
  // The state a checkpoint keeps, by name, each flat like ParameterStore::values(): Adam's and
  // AdamW's moments ("adam.exp_avg", "adam.exp_avg_sq"), SGD's "sgd.momentum_buffer".
  std::vector<std::pair<std::string, Tensor*>> state();

 private:
  ParameterStore& params_;
  OptimizerOptions options_;
  Tensor first_, second_;  // Adam: the moments; SGD: the momentum buffer (first_)
  HostMirror counters_;    // kNonfinite, kStepsTaken (kernels/step_control.h)
  Tensor coefficients_;    // the step's, from begin_step
};

// The loss scale (65536 at first), halved by a step with an inf/NaN gradient and doubled after
// 2000 clean steps in a row (kernels/step_control.h), kept on `device` where the loss gradient
// and the update read it. Disabled (f32 training): the scale stays 1; skipped steps are still
// counted. The readers wait for the device's queued work.
class LossScaler {
 public:
  LossScaler(bool enabled, Device device);

  bool enabled() const { return enabled_; }
  double scale();
  std::int64_t growth_tracker();
  std::int64_t skipped_steps();
  void restore(double scale, std::int64_t growth_tracker, std::int64_t skipped);
  // [kScalerValues] f64 on the device, for the step's kernels.
  Tensor state() { return state_.values(); }
  // The scale where a kernel reads it.
  const double* device_scale() { return state_.device_data() + kLossScale; }

 private:
  bool enabled_;
  HostMirror state_;
};

}  // namespace unet3d
