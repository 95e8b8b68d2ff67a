// One training run from start (or resume) to the test report: the data, the split, the epoch
// loop with progress, validation, metrics.csv and checkpoints, interruption by SIGINT/SIGTERM at
// an optimizer-step boundary (resumable at that exact position), and the final evaluation.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace unet3d {

// Every setting of a run, as strings keyed by flag name (what config.json holds).
using RunSettings = std::map<std::string, std::string>;

// Runs the training that `settings` describe into settings["out"]; returns the exit code
// (0, or 130 / 143 after an interruption). Errors are thrown.
int run_training(const RunSettings& settings, const std::string& command_line, bool resuming);

}  // namespace unet3d
