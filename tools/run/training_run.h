// One training run from start (or resume) to the test report: the data, the split, the epoch
// loop with progress, validation, metrics.csv and checkpoints, and the final evaluation. The run
// folder is locked for the run's life. SIGINT/SIGTERM stops at the next micro-batch, saving the
// state of the last optimizer step (resumable at that exact position); during preprocessing or
// the test phase it stops with a message; a second signal exits at once.
#pragma once

#include <cstdint>
#include <string>

#include "tools/plan/run_plan.h"
#include "tools/run/run_config.h"

namespace unet3d {

// Runs the training that `settings` describe into settings["out"] (resuming it where
// settings["resume"] is set; `extended_from` > 0: a resumed run whose --epochs grew from that
// many, whose config.json is rewritten and whose test phase runs again); returns the exit code
// (0, or 130 / 143 after an interruption). Errors are thrown. `plan`: the plan a new run was
// given (its settings already applied), saved as plan.json and summarised in the log.
int run_training(const RunSettings& settings, const std::string& command_line,
                 std::int64_t extended_from = 0, const RunPlan* plan = nullptr);

}  // namespace unet3d
