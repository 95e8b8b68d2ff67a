// The optimizer step decided on the device, so that the host never waits for it: the count of
// inf/NaN gradients, the step count and the loss scaler's state live in small f64 vectors on the
// parameters' device; begin_step turns them into the numbers the update reads (skip or not, the
// step's rule-specific factors, 1 / loss scale), and end_step advances the count and the scaler
// (torch.cuda.amp.GradScaler's rule) from the same inf/NaN count. The per-step arithmetic is
// written once (step_coefficients, finish_step) and run by one thread on either backend.
#pragma once

#include <cmath>
#include <cstdint>

#include "runtime/hd.h"
#include "runtime/tensor.h"

namespace unet3d {

// The optimizer's counters: [inf/NaN gradients of this step, steps taken].
inline constexpr int kNonfinite = 0, kStepsTaken = 1, kOptimizerCounters = 2;
// The loss scaler's state: [scale, clean steps since the last change, steps skipped].
inline constexpr int kLossScale = 0, kGrowthTracker = 1, kSkippedSteps = 2, kScalerValues = 3;
// What an update reads: skip (1) or not (0); Adam's step size lr / (1 - beta1^t) and
// sqrt(1 - beta2^t), or SGD's "first step" (1 or 0); and the gradients' factor 1 / scale.
inline constexpr int kSkipStep = 0, kStepFactorA = 1, kStepFactorB = 2, kGradScale = 3,
                     kStepCoefficients = 4;

inline constexpr double kInitialLossScale = 65536.0;
inline constexpr double kLossScaleGrowthInterval = 2000;

struct StepRule {
  bool adam = true;  // false: SGD
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999;
};

// out[kStepCoefficients] for the step that follows counters and scaler.
UNET3D_HD inline void step_coefficients(const double* counters, const double* scaler,
                                        const StepRule& rule, double* out) {
  const double t = counters[kStepsTaken] + 1;
  out[kSkipStep] = counters[kNonfinite] > 0 ? 1.0 : 0.0;
  out[kStepFactorA] = rule.adam ? rule.lr / (1 - pow(rule.beta1, t)) : (t == 1 ? 1.0 : 0.0);
  out[kStepFactorB] = rule.adam ? sqrt(1 - pow(rule.beta2, t)) : 0.0;
  out[kGradScale] = 1.0 / scaler[kLossScale];
}

// After the update: a step with an inf/NaN gradient is not counted and halves the scale; a
// clean one is counted, and the scale doubles after kLossScaleGrowthInterval of them in a row.
// A disabled scaler (f32 training) keeps scale 1 and counts only the skipped steps.
UNET3D_HD inline void finish_step(double* counters, double* scaler, bool scaler_enabled) {
  const bool skipped = counters[kNonfinite] > 0;
  if (skipped) {
    scaler[kSkippedSteps] += 1;
  } else {
    counters[kStepsTaken] += 1;
  }
  if (!scaler_enabled) return;
  if (skipped) {
    scaler[kLossScale] *= 0.5;
    scaler[kGrowthTracker] = 0;
  } else if ((scaler[kGrowthTracker] += 1) == kLossScaleGrowthInterval) {
    scaler[kLossScale] *= 2.0;
    scaler[kGrowthTracker] = 0;
  }
}

// coefficients ([kStepCoefficients] f64) := step_coefficients of counters
// ([kOptimizerCounters] f64) and scaler ([kScalerValues] f64); all on one device.
struct BeginStepArgs {
  const Tensor &counters, &scaler;
  StepRule rule;
  Tensor& coefficients;
};
void begin_step(const BeginStepArgs& a);

// finish_step on the device's counters and scaler, in place.
struct EndStepArgs {
  Tensor &counters, &scaler;
  bool scaler_enabled;
};
void end_step(const EndStepArgs& a);

// An update's check of its coefficients: [kStepCoefficients] f64 on `values`' device.
void check_step_coefficients(const char* op, const Tensor& coefficients, const Tensor& values);

}  // namespace unet3d
