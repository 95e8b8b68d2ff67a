// The optimizers and the loss scaler.
#include "layers/optimizer.h"

#include "kernels/adam.h"
#include "kernels/elementwise.h"
#include "kernels/reduce.h"
#include "kernels/sgd.h"
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
      nonfinite_(Shape::scalar(), DType::f64, params.device()),
      nonfinite_host_(Shape::scalar(), DType::f64, Device::cpu) {
  fill(first_, 0.0);
  if (options.kind != OptimizerKind::sgd) {
    second_ = Tensor(params.values().shape(), params.master_dtype(), params.device());
    fill(second_, 0.0);
  }
}

std::vector<std::pair<std::string, Tensor*>> Optimizer::state() {
  if (options_.kind == OptimizerKind::sgd) return {{"sgd.momentum_buffer", &first_}};
  return {{"adam.exp_avg", &first_}, {"adam.exp_avg_sq", &second_}};
}

bool Optimizer::step(double loss_scale) {
  Tensor grads = params_.grads();
  count_nonfinite(grads, nonfinite_);
  nonfinite_host_.copy_from(nonfinite_);
  if (*nonfinite_host_.data_as<double>() > 0) {
    params_.zero_grads();
    return false;
  }
  ++steps_;
  Tensor values = params_.values();
  Tensor halves;
  if (params_.has_half_copies()) halves = params_.halves();
  Tensor* half = params_.has_half_copies() ? &halves : nullptr;
  const OptimizerOptions& o = options_;
  if (o.kind == OptimizerKind::sgd) {
    sgd_update(values, grads, first_, half,
               {o.lr, o.momentum, o.weight_decay, steps_ == 1, 1.0 / loss_scale});
  } else {
    const AdamOptions adam{o.lr,  o.beta1,        o.beta2,
                           o.eps, o.weight_decay, o.kind == OptimizerKind::adamw};
    adam_update(values, grads, first_, second_, half, {adam, steps_, 1.0 / loss_scale});
  }
  return true;
}

void LossScaler::update(bool found_nonfinite) {
  if (found_nonfinite) ++skipped_;
  if (!enabled_) return;
  if (found_nonfinite) {
    scale_ *= 0.5;
    growth_tracker_ = 0;
  } else if (++growth_tracker_ == kGrowthInterval) {
    scale_ *= 2.0;
    growth_tracker_ = 0;
  }
}

void LossScaler::restore(double scale, std::int64_t growth_tracker, std::int64_t skipped) {
  scale_ = scale;
  growth_tracker_ = growth_tracker;
  skipped_ = skipped;
}

}  // namespace unet3d
