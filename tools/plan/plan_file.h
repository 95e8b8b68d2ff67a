// plan.json (docs/formats.md): the trainer settings a plan sets, what it was sized for, its
// estimate and the fingerprint it came from. The settings are trainer flags and their values,
// as config.json keeps them (triples x,y,z), so an edited plan reads as a command line would.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tools/plan/plan_rules.h"

namespace unet3d {

using PlanSettings = std::map<std::string, std::string>;  // trainer flag -> value

// The trainer settings of `p`: mode, spacing, patch, batch, depth, kernel and pool sizes,
// features, their cap and the normalisation.
PlanSettings plan_settings(const Plan& p);

// plan.json's text.
std::string plan_json(const Plan& p, const PlanTarget& target, const Fingerprint& f);

// The settings of the plan.json at `path`: a data Error naming the file where it is not one, or a
// setting names no flag a plan may set.
PlanSettings read_plan_settings(const std::string& path);

// The plan in a few lines, for the log.
std::vector<std::string> plan_summary(const Plan& p, const PlanTarget& target);

}  // namespace unet3d
