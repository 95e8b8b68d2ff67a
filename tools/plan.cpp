// plan: the plan of a dataset (docs/model.md, The plan): its fingerprint, and from it the target
// spacing, the patch, batch and topology that fit a memory budget, and each channel's
// normalisation, written as plan.json for trainer --plan FILE.
#include <iostream>

#include "io/dataset.h"
#include "runtime/atomic_file.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/log.h"
#include "runtime/shared_flags.h"
#include "tools/model/network_text.h"
#include "tools/plan/run_plan.h"

namespace {

using namespace unet3d;

constexpr char kSummary[] =
    "Plans a training run from a dataset's fingerprint (every case of --data): the target\n"
    "spacing, the patch, batch and network topology a training step fits in --memory-gb, and\n"
    "each channel's normalisation. trainer --plan FILE takes the result (flags given win);\n"
    "trainer --plan auto makes the same plan from a run's own training cases.";

void define_flags(Flags& f) {
  add_shared_flags(f, {"data", "layout", "memory-gb", "features", "max-features", "norm"});
  f.add("out", "FILE", "where plan.json goes (default: the standard output)");
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "plan", kSummary, define_flags, [&](const Flags& flags) {
    if (!flags.given("data")) throw Error(ErrorKind::usage, "--data is required (see --help)");
    PlanTarget target;
    const double gb = flags.number("memory-gb");
    if (!(gb > 0)) throw Error(ErrorKind::usage, concat("--memory-gb ", gb, ": must be positive"));
    target.memory_bytes = gb * 1e9;
    target.features = flags.integer("features");
    if (target.features < 1)
      throw Error(ErrorKind::usage, concat("--features ", target.features, ": must be positive"));
    const std::string cap = flags.text("max-features");
    target.max_features = cap == "none" ? 0 : flags.integer("max-features");
    if (cap != "none" && target.max_features < 1)
      throw Error(ErrorKind::usage, concat("--max-features ", cap, ": none, or positive"));
    target.norm = parse_norm(flags.text("norm"), "--norm");
    const DatasetPlan d =
        plan_dataset(flags.text("data"), parse_layout(flags.text("layout"), "--layout"), target);
    const std::string json = plan_json(d.plan, target, d.fingerprint);
    for (const std::string& line : plan_summary(d.plan, target)) log_info(line);
    if (flags.given("out"))
      write_file_atomically(flags.text("out"), json);
    else
      std::cout << json;
    return 0;
  });
}
