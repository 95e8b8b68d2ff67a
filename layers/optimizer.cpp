// Adam and the loss scaler.
#include "layers/optimizer.h"

#include "kernels/adam.h"
#include "kernels/elementwise.h"
#include "kernels/reduce.h"

namespace unet3d {

Adam::Adam(ParameterStore& params, const AdamOptions& options)
    : params_(params),
      options_(options),
      exp_avg_(params.values().shape(), params.master_dtype(), params.device()),
      exp_avg_sq_(params.values().shape(), params.master_dtype(), params.device()),
      nonfinite_(Shape::scalar(), DType::f64, params.device()),
      nonfinite_host_(Shape::scalar(), DType::f64, Device::cpu) {
  fill(exp_avg_, 0.0);
  fill(exp_avg_sq_, 0.0);
}

bool Adam::step(double loss_scale) {
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
  const AdamStep step{options_, steps_, 1.0 / loss_scale};
  adam_update(values, grads, exp_avg_, exp_avg_sq_, params_.has_half_copies() ? &halves : nullptr,
              step);
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
