// One training run from start (or resume) to the test report: the data, the split, the epoch
// loop with progress, validation, metrics.csv and checkpoints, interruption by SIGINT/SIGTERM at
// an optimizer-step boundary (resumable at that exact position), and the final evaluation.
#pragma once

#include <string>

#include "tools/run_config.h"

namespace unet3d {

// Runs the training that `settings` describe into settings["out"] (resuming it where
// settings["resume"] is set); returns the exit code (0, or 130 / 143 after an interruption).
// Errors are thrown.
int run_training(const RunSettings& settings, const std::string& command_line);

}  // namespace unet3d
