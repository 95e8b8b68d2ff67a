// The programs the end-to-end tests run, as the build names them (the e2e target defines their
// paths), and the shorthand those tests run a command with.
#pragma once

#include <string>

#include "tests/support/tool_runs.h"

namespace unet3d::testing {

inline const std::string kTrainer = TRAINER_PATH, kPredict = PREDICT_PATH,
                         kPhantoms = MAKE_PHANTOMS_PATH, kPlan = PLAN_PATH, kBench = BENCH_PATH,
                         kEvaluate = EVALUATE_PATH, kCrossValidate = CROSS_VALIDATE_PATH,
                         kPrepareData = PREPARE_DATA_PATH;

using Result = ToolResult;
inline Result run(const std::string& command) {
  return run_command(command);
}

}  // namespace unet3d::testing
