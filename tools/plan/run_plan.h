// A training run's plan: --plan auto's, made from the fingerprint of the run's own training
// cases (those of the split a new run draws, or of --split), or --plan FILE's.
#pragma once

#include <string>
#include <vector>

#include "io/split.h"
#include "tools/plan/plan_file.h"
#include "tools/run/run_config.h"

namespace unet3d {

struct RunPlan {
  PlanSettings settings;             // what the plan sets; the command line wins over them
  std::string json;                  // plan.json's text, saved in the run folder
  std::vector<std::string> summary;  // a few lines for the log
};

// The plan `c.plan` names (auto or a file), sized for c's features, cap, norm and memory budget.
RunPlan plan_for_run(const RunConfig& c);

// The split a new run of `c` draws (by patient from --seed and --folds), or --split's.
Split new_run_split(const RunConfig& c, const std::vector<CaseInfo>& cases);

// The plan of every case of the dataset in `data`, for the plan tool.
struct DatasetPlan {
  Plan plan;
  Fingerprint fingerprint;
};
DatasetPlan plan_dataset(const std::string& data, DatasetLayout layout, const PlanTarget& target);

}  // namespace unet3d
