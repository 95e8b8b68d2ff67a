// The learning rate of each epoch (docs/model.md, "Optimisation"): constant (the original's),
// nnU-Net's poly decay, or a cosine decay after a linear warm-up. A pure function of the epoch,
// so a resumed run (or one extended to more epochs) needs nothing saved to follow it.
#pragma once

#include <cstdint>
#include <string>

namespace unet3d {

enum class LrSchedule { constant, poly, cosine };

// "constant", "poly" or "cosine"; anything else is a usage Error naming `flag`.
LrSchedule parse_lr_schedule(const std::string& word, const std::string& flag);

// The rate of epoch e = 0 ... epochs - 1 for base rate `lr`:
//   constant: lr;
//   poly: lr (1 - e / E)^0.9;
//   cosine: lr e / w for e < w (the warm-up from 0), then lr 0.5 (1 + cos(pi (e - w) / (E - w))).
double epoch_lr(LrSchedule schedule, double lr, std::int64_t epoch, std::int64_t epochs,
                std::int64_t warmup_epochs);

}  // namespace unet3d
