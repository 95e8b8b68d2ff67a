// Adam over a ParameterStore, and dynamic loss scaling as torch.cuda.amp.GradScaler's defaults
// (docs/model.md): one pass that counts inf/NaN gradients, then, unless the step is skipped, one
// fused update. A skipped step leaves the parameters, the moments and Adam's step count as
// they were.
#pragma once

#include <cstdint>

#include "kernels/adam.h"
#include "layers/parameters.h"

namespace unet3d {

class Adam {
 public:
  Adam(ParameterStore& params, const AdamOptions& options);

  // Unscales the gradients by 1 / loss_scale and, if all are finite, updates every parameter
  // (and its f16 copy) and returns true; otherwise returns false. Either way the gradients are
  // zero afterwards, ready for the next accumulation. Reads one number back from the device.
  bool step(double loss_scale);

  std::int64_t steps() const { return steps_; }
  void set_steps(std::int64_t steps) { steps_ = steps; }
  const AdamOptions& options() const { return options_; }
  // The rate of the steps from now on (a schedule's, per epoch).
  void set_lr(double lr) { options_.lr = lr; }
  // The moments, flat like ParameterStore::values().
  Tensor& exp_avg() { return exp_avg_; }
  Tensor& exp_avg_sq() { return exp_avg_sq_; }
  const Tensor& exp_avg() const { return exp_avg_; }
  const Tensor& exp_avg_sq() const { return exp_avg_sq_; }

 private:
  ParameterStore& params_;
  AdamOptions options_;
  std::int64_t steps_ = 0;
  Tensor exp_avg_, exp_avg_sq_;
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
