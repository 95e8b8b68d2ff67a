// A training run's plan.
#include "tools/plan/run_plan.h"

#include <fstream>
#include <sstream>

#include "io/phantom.h"
#include "runtime/error.h"
#include "runtime/log.h"

namespace unet3d {
namespace {

PlanTarget target_of(const RunConfig& c) {
  PlanTarget t;
  t.memory_bytes = c.memory_gb * 1e9;
  t.features = c.features;
  t.max_features = c.max_features;
  t.norm = c.norm;
  t.deep_supervision = c.deep_supervision;
  t.spacing = c.spacing;
  t.patch = c.patch;
  return t;
}

// The cases `chosen`, each read by load(index), fingerprinted and planned.
DatasetPlan plan_cases(const std::vector<std::size_t>& chosen,
                       const std::function<LoadedCase(std::size_t)>& load, int classes,
                       const std::vector<std::string>& channel_names, const PlanTarget& target) {
  log_info("plan: fingerprinting ", chosen.size(), " cases");
  DatasetPlan d;
  d.fingerprint = fingerprint_cases(
      chosen.size(), [&](std::size_t i) { return load(chosen[i]); }, classes, channel_names);
  d.plan = make_plan(d.fingerprint, static_cast<int>(d.fingerprint.class_voxels.size()), target);
  return d;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::usage, concat("--plan ", path, ": cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Split new_run_split(const RunConfig& c, const std::vector<CaseInfo>& cases) {
  return c.split.empty() ? split_by_patient(cases, c.seed, c.folds) : read_split(c.split, cases);
}

DatasetPlan plan_dataset(const std::string& data, DatasetLayout layout, const PlanTarget& target) {
  const DatasetIndex index = discover_dataset(data, layout);
  std::vector<std::size_t> all(index.cases.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return plan_cases(
      all, [&](std::size_t i) { return load_case(index.cases[i], 0); }, 0, index.channel_names,
      target);
}

RunPlan plan_for_run(const RunConfig& c) {
  RunPlan out;
  if (c.plan != "auto") {
    out.settings = read_plan_settings(c.plan);
    out.json = file_text(c.plan);
    std::string listed;
    for (const auto& [flag, value] : out.settings) listed += concat(" --", flag, " ", value);
    out.summary = {concat("plan: ", c.plan, " sets", listed)};
    return out;
  }
  const PlanTarget target = target_of(c);
  std::vector<CaseInfo> infos;
  DatasetPlan d;
  if (c.data.empty()) {  // phantoms, generated as the run will generate them
    const std::vector<PhantomCase> phantoms = phantom_cases(static_cast<int>(c.phantoms), c.seed);
    for (const PhantomCase& p : phantoms)
      infos.push_back({p.name(), p.name().substr(0, 8), {}, "", {}});
    const std::vector<std::int64_t> grid = c.phantom_size;
    d = plan_cases(
        case_indices(infos, new_run_split(c, infos).train),
        [&](std::size_t i) {
          Phantom p = make_phantom(phantoms[i], grid[0], grid[1], grid[2], c.seed);
          return LoadedCase{p.image_volume(), std::move(p.labels)};
        },
        c.classes, {}, target);
  } else {
    const DatasetIndex index = discover_dataset(c.data, c.layout);
    for (const CasePaths& p : index.cases) infos.push_back({p.name, p.patient, {}, "", {}});
    d = plan_cases(
        case_indices(infos, new_run_split(c, infos).train),
        [&](std::size_t i) { return load_case(index.cases[i], c.classes); }, c.classes,
        index.channel_names, target);
  }
  out.settings = plan_settings(d.plan);
  out.json = plan_json(d.plan, target, d.fingerprint);
  out.summary = plan_summary(d.plan, target);
  return out;
}

}  // namespace unet3d
