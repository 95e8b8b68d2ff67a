// Learning-rate schedules.
#include "layers/lr_schedule.h"

#include <cmath>
#include <numbers>

#include "runtime/error.h"

namespace unet3d {

LrSchedule parse_lr_schedule(const std::string& word, const std::string& flag) {
  if (word == "constant") return LrSchedule::constant;
  if (word == "poly") return LrSchedule::poly;
  if (word == "cosine") return LrSchedule::cosine;
  throw Error(ErrorKind::usage,
              concat(flag, ": '", word, "' is not one of constant, poly, cosine"));
}

double epoch_lr(LrSchedule schedule, double lr, std::int64_t epoch, std::int64_t epochs,
                std::int64_t warmup_epochs) {
  UNET3D_USAGE_CHECK(epochs >= 1 && epoch >= 0 && epoch < epochs && warmup_epochs >= 0,
                     "epoch_lr: epoch ", epoch, " of ", epochs, ", warm-up ", warmup_epochs);
  const auto e = static_cast<double>(epoch), total = static_cast<double>(epochs);
  switch (schedule) {
    case LrSchedule::constant: return lr;
    case LrSchedule::poly: return lr * std::pow(1.0 - e / total, 0.9);
    case LrSchedule::cosine: {
      const auto w = static_cast<double>(warmup_epochs);
      if (epoch < warmup_epochs) return lr * e / w;
      return lr * 0.5 * (1.0 + std::cos(std::numbers::pi * (e - w) / (total - w)));
    }
  }
  return lr;
}

}  // namespace unet3d
