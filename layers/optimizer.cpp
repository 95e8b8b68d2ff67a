// The optimizers and the loss scaler.
#include "layers/optimizer.h"

#include "kernels/adam.h"
#include "kernels/elementwise.h"
#include "kernels/reduce.h"
#include "kernels/sgd.h"
#include "kernels/step_control.h"
#include "runtime/error.h"

namespace unet3d {

OptimizerKind parse_optimizer(const std::string& word, const std::string& flag) {
  if (word == "adam") return OptimizerKind::adam;
  if (word == "adamw") return OptimizerKind::adamw;
  if (word == "sgd") return OptimizerKind::sgd;
  throw Error(ErrorKind::usage, concat(flag, ": '", word, "' is not one of adam, adamw, sgd"));
}

const char* optimizer_word(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::adam: return "adam";
    case OptimizerKind::adamw: return "adamw";
    case OptimizerKind::sgd: return "sgd";
  }
  return "adam";
}

Optimizer::Optimizer(ParameterStore& params, const OptimizerOptions& options)
    : params_(params),
      options_(options),
      first_(params.values().shape(), params.master_dtype(), params.device()),
      counters_(kOptimizerCounters, params.device()),
      coefficients_(Shape::vector(kStepCoefficients), DType::f64, params.device()) {
  fill({first_, 0.0});
  if (options.kind != OptimizerKind::sgd) {
    second_ = Tensor(params.values().shape(), params.master_dtype(), params.device());
    fill({second_, 0.0});
  }
}

std::vector<std::pair<std::string, Tensor*>> Optimizer::state() {
  if (options_.kind == OptimizerKind::sgd) return {{"sgd.momentum_buffer", &first_}};
  return {{"adam.exp_avg", &first_}, {"adam.exp_avg_sq", &second_}};
}

std::int64_t Optimizer::steps() {
  return static_cast<std::int64_t>(counters_.current()[kStepsTaken]);
}

void Optimizer::set_steps(std::int64_t steps) {
  counters_.set(kStepsTaken, static_cast<double>(steps));
}

void Optimizer::step(LossScaler& scaler) {
  Tensor grads = params_.grads();
  Tensor counters = counters_.values(), scaler_state = scaler.state();
  Tensor nonfinite = Tensor::view(counters_.device_data() + kNonfinite, Shape::scalar(), DType::f64,
                                  counters.device());
  count_nonfinite({grads, nonfinite});
  const OptimizerOptions& o = options_;
  const bool adam = o.kind != OptimizerKind::sgd;
  begin_step({counters, scaler_state, {adam, o.lr, o.beta1, o.beta2}, coefficients_});
  Tensor values = params_.values();
  Tensor halves;
  if (params_.has_half_copies()) halves = params_.halves();
  Tensor* half = params_.has_half_copies() ? &halves : nullptr;
  if (adam)
    adam_update({values,
                 grads,
                 first_,
                 second_,
                 half,
                 {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, o.kind == OptimizerKind::adamw},
                 coefficients_});
  else
    sgd_update({values, grads, first_, half, {o.lr, o.momentum, o.weight_decay}, coefficients_});
  end_step({counters, scaler_state, scaler.enabled()});
}

LossScaler::LossScaler(bool enabled, Device device)
    : enabled_(enabled), state_(kScalerValues, device) {
  state_.set(kLossScale, enabled ? kInitialLossScale : 1.0);
}

double LossScaler::scale() {
  return state_.current()[kLossScale];
}

std::int64_t LossScaler::growth_tracker() {
  return static_cast<std::int64_t>(state_.current()[kGrowthTracker]);
}

std::int64_t LossScaler::skipped_steps() {
  return static_cast<std::int64_t>(state_.current()[kSkippedSteps]);
}

void LossScaler::restore(double scale, std::int64_t growth_tracker, std::int64_t skipped) {
  state_.set(kLossScale, scale);
  state_.set(kGrowthTracker, static_cast<double>(growth_tracker));
  state_.set(kSkippedSteps, static_cast<double>(skipped));
}

}  // namespace unet3d
