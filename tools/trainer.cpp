// trainer: trains the UNet3D on a dataset (or on phantoms generated in memory), validates each
// epoch, keeps the best and last checkpoints, and ends with the test report.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "io/json.h"
#include "runtime/communicator.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/log.h"
#include "runtime/shared_flags.h"
#include "tools/plan/run_plan.h"
#include "tools/run/fine_tuning.h"
#include "tools/run/run_flags.h"
#include "tools/run/run_ranks.h"
#include "tools/run/training_run.h"

namespace {

using namespace unet3d;

// --preset quick: README's first run, on generated phantoms, sized so that 2 CPU cores train it
// in about a minute and every class, rectum and prostate included, is learned (README gives its
// test table). It departs from the original's defaults where a short run needs it: the combined
// loss (weighted cross-entropy reaches the small classes at once, where the Dice loss alone
// leaves them at 0 for tens of epochs), one micro-batch per step, and a higher learning rate.
// Each value applies unless its flag is given.
using Preset = std::vector<std::pair<std::string, std::string>>;
const Preset kQuickPreset = {{"size", "48"},       {"features", "8"},  {"depth", "3"},
                             {"epochs", "30"},     {"accum", "1"},     {"lr", "3e-3"},
                             {"loss", "combined"}, {"phantoms", "24"}, {"phantom-size", "96,96,48"},
                             {"val-every", "5"}};

// --preset nnunet: nnU-Net's recipe (docs/model.md, The plan): the plan of the training cases,
// patch mode, SGD with Nesterov momentum 0.99 at 1e-2 and poly decay, Dice + cross-entropy, the
// nnU-Net augmentation, instance norm, LeakyReLU and deep supervision, 32 features capped at 320,
// 250 optimizer steps per epoch for 1000 epochs; a third of each batch centred on foreground (as
// patch mode always does).
const Preset kNnunetPreset = {{"plan", "auto"},
                              {"mode", "patch"},
                              {"optimizer", "sgd"},
                              {"momentum", "0.99"},
                              {"lr", "1e-2"},
                              {"lr-schedule", "poly"},
                              {"loss", "dicece"},
                              {"augment", "nnunet"},
                              {"norm", "instance"},
                              {"activation", "leakyrelu"},
                              {"deep-supervision", "true"},
                              {"features", "32"},
                              {"max-features", "320"},
                              {"iters", "250"},
                              {"accum", "1"},
                              {"epochs", "1000"}};

// --preset nnunet-cpu: the same recipe scaled for a few CPU cores: 8 features capped at 128, a
// 1 GB plan (smaller patches and batches), 25 steps per epoch, 60 epochs, validation every 5.
const Preset kNnunetCpuPreset = [] {
  Preset p = kNnunetPreset;
  const std::map<std::string, std::string> cpu = {{"features", "8"},  {"max-features", "128"},
                                                  {"iters", "25"},    {"epochs", "60"},
                                                  {"memory-gb", "1"}, {"val-every", "5"}};
  for (auto& [flag, value] : p)
    if (cpu.count(flag)) value = cpu.at(flag);
  for (const auto& [flag, value] : cpu)
    if (std::none_of(p.begin(), p.end(), [&](const auto& e) { return e.first == flag; }))
      p.emplace_back(flag, value);
  return p;
}();

const std::map<std::string, const Preset*>& presets() {
  static const std::map<std::string, const Preset*> all = {
      {"quick", &kQuickPreset}, {"nnunet", &kNnunetPreset}, {"nnunet-cpu", &kNnunetCpuPreset}};
  return all;
}

std::string preset_help() {
  const auto sets = [](const Preset& p) {
    std::string text;
    for (const auto& [flag, value] : p) text += " --" + flag + " " + value;
    return text;
  };
  return "quick: a first run on phantoms (sets" + sets(kQuickPreset) +
         "); nnunet: nnU-Net's recipe, planned from the data (sets" + sets(kNnunetPreset) +
         "); nnunet-cpu: that recipe for a few CPU cores (sets" + sets(kNnunetCpuPreset) +
         "); flags given win";
}

void define_flags(Flags& f) {
  f.add("preset", "none|quick|nnunet|nnunet-cpu", preset_help(), "none");
  add_run_flags(f);
}

// Every flag's value, switches as "true"/"false", the preset's values where it sets them: what
// config.json keeps.
RunSettings settings_of(const Flags& f) {
  RunSettings s;
  for (const Flags::Entry& e : f.entries())
    s[e.name] = e.is_switch ? (f.on(e.name) ? "true" : "false") : f.text(e.name);
  const auto preset = presets().find(s["preset"]);
  if (preset != presets().end()) {
    for (const auto& [flag, value] : *preset->second)
      if (!f.given(flag)) s[flag] = value;
  } else if (s["preset"] != "none") {
    throw Error(ErrorKind::usage, concat("--preset: '", s["preset"],
                                         "' is not one of none, quick, nnunet, nnunet-cpu"));
  }
  return s;
}

// The plan's settings where no flag was given; a topology flag given (--depth, --kernel-sizes,
// --pool-sizes) leaves the plan's three out, which hold together only as one. Deep supervision
// a preset asked for is turned off where the depth is below 3 (said in the log).
void apply_plan(RunSettings& s, RunPlan& plan, const Flags& f) {
  const bool own_topology = f.given("depth") || f.given("kernel-sizes") || f.given("pool-sizes");
  for (const auto& [flag, value] : plan.settings) {
    const bool topology = flag == "depth" || flag == "kernel-sizes" || flag == "pool-sizes";
    if (!f.given(flag) && !(topology && own_topology)) s[flag] = value;
  }
  std::int64_t depth = 0;
  std::istringstream(s["depth"]) >> depth;
  if (s["deep-supervision"] == "true" && !f.given("deep-supervision") && depth < 3) {
    s["deep-supervision"] = "false";
    plan.summary.push_back(concat("plan: deep supervision off: depth ", depth,
                                  " has no decoder level between the head and the bottleneck"));
  }
}

// Flags given where the settings make them meaningless (whether a flag was given is the
// parse's; a value equal to the default counts as given).
void check_flags_apply(const Flags& f, const RunSettings& s) {
  if (f.given("momentum") && s.at("optimizer") != "sgd")
    throw Error(ErrorKind::usage, "--momentum applies to --optimizer sgd only");
  if (f.given("fold") && s.at("folds") == "0")
    throw Error(ErrorKind::usage, "--fold applies with --folds K only");
  const std::vector<std::string>& patch_only = patch_mode_flags();
  const bool patch_flag =
      std::any_of(patch_only.begin(), patch_only.end(), [&](const auto& g) { return f.given(g); });
  if (patch_flag && s.at("mode") != "patch") {
    std::string list;  // "--spacing, --patch, ... and --tta"
    for (std::size_t i = 0; i < patch_only.size(); ++i)
      list += concat(i == 0 ? "" : i + 1 < patch_only.size() ? ", " : " and ", "--", patch_only[i]);
    throw Error(ErrorKind::usage, concat(list, " apply to --mode patch only"));
  }
}

// Flags for this process only, never the run's settings, so a resume may give them anew:
// --retest, and the tests' hooks that stop the process at a chosen point.
constexpr const char* kProcessFlags[] = {"retest", "interrupt-after", "interrupt-during"};
bool is_process_flag(const std::string& key) {
  return std::find(std::begin(kProcessFlags), std::end(kProcessFlags), key) !=
         std::end(kProcessFlags);
}

// The saved settings of the run in `dir`; flags given beside --resume must agree with them, but
// for a larger --epochs, which extends the run (`extended_from` := the run's epochs).
RunSettings resumed_settings(const std::string& dir, const RunSettings& given, const Flags& flags,
                             std::int64_t& extended_from) {
  if (!std::filesystem::exists(std::filesystem::path(dir) / "config.json"))
    throw Error(ErrorKind::usage,
                concat("--resume ", dir, ": no config.json there (not a run folder?)"));
  const json::Value root = json::parse_file(dir + "/config.json");
  const json::Value* saved = root.find("settings");
  if (saved == nullptr) throw Error(ErrorKind::data, concat(dir, "/config.json: no settings"));
  // A run from before a flag existed ran with that flag's default (a switch off).
  RunSettings s;
  for (const Flags::Entry& e : flags.entries())
    s[e.name] = e.is_switch ? "false" : flags.default_value(e.name);
  for (const auto& [key, value] : saved->members) s[key] = value.text;
  for (const auto& [key, value] : given) {
    if (key == "resume" || key == "out" || is_process_flag(key) || !flags.given(key)) continue;
    if (key == "threads" && s.count(key) && s.at(key) != value) {
      log_warn("--threads ", value, " where the run had ", s.at(key),
               ": allowed, but the resumed run's numbers will differ in their last bits from "
               "an uninterrupted run's (sums split over other threads round otherwise)");
      s[key] = value;
      continue;
    }
    if (key == "epochs" && s.count(key) && s.at(key) != value) {
      const std::int64_t had = std::stoll(s.at(key)), asked = flags.integer("epochs");
      if (asked < had)
        throw Error(ErrorKind::usage,
                    concat("--resume ", dir, ": --epochs ", asked, " is below the run's ", had,
                           " (a run can be extended, not shortened)"));
      extended_from = had;
      s[key] = value;
      continue;
    }
    if (s.count(key) && s.at(key) != value)
      throw Error(ErrorKind::usage, concat("--resume ", dir, ": --", key, " ", value,
                                           " differs from the run's ", s.at(key)));
  }
  s["out"] = dir;
  s["resume"] = dir;
  for (const char* flag : kProcessFlags) s[flag] = given.at(flag);
  return s;
}

std::string default_out() {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  return std::string("runs/") + stamp;
}

// Trains the run the flags describe; under mpirun every rank trains its share of it with rank
// 0's settings (only rank 0 reads config.json) and, on GPUs, a GPU of its own.
int train(const Flags& flags, Communicator& ranks, std::string& run_folder) {
  if (ranks.rank() != 0) set_log_level(LogLevel::warn);  // rank 0 reports for all
  RunSettings settings;
  std::int64_t extended_from = 0;
  std::optional<RunPlan> plan;
  if (ranks.rank() == 0) {
    settings = settings_of(flags);
    if (flags.given("resume")) {
      settings = resumed_settings(flags.text("resume"), settings, flags, extended_from);
    } else if (settings["out"].empty()) {
      settings["out"] = default_out();
    }
    // Before a run folder is made, which a --data that is no folder would leave behind empty.
    if (!settings["data"].empty() && !std::filesystem::is_directory(settings["data"]))
      throw_error(ErrorKind::data, concat("--data ", settings["data"], ": no such folder"),
                  __FILE__, __LINE__);
    // A fine-tuned run takes the checkpoint's settings (where it resumes, config.json has them).
    if (!flags.given("resume")) take_checkpoint_settings(settings, flags);
    // A resumed run keeps the settings its plan gave it (config.json) and its plan.json.
    if (!flags.given("resume") && settings["plan"] != "none") {
      if (settings["mode"] != "patch" && flags.given("mode"))
        throw Error(ErrorKind::usage, concat("--plan ", settings["plan"], " with --mode ",
                                             settings["mode"], ": a plan is for patch mode"));
      settings["mode"] = "patch";
      plan = plan_for_run(parse_run_config(settings));
      apply_plan(settings, *plan, flags);
    }
    if (!flags.given("resume")) {
      parse_run_config(settings);  // each value's own error before what the flags combine to
      check_flags_apply(flags, settings);
    }
  }
  share_settings(ranks, settings);
  run_folder = settings["out"];
  ranks.broadcast(&extended_from, sizeof extended_from);
  return run_training(settings, flags.command_line(), extended_from, plan ? &*plan : nullptr);
}

// Ends every rank of the job after an error on this one, which train.log records: rank 0's is
// open; another rank appends to it where it can reach the run folder (a shared file system).
[[noreturn]] void end_every_rank(Communicator& ranks, const std::string& run_folder,
                                 const std::string& what, int code) {
  const std::string log = run_folder + "/train.log";
  if (ranks.rank() != 0 && !run_folder.empty() && std::filesystem::exists(log)) {
    try {
      set_log_file(log);
    } catch (const Error&) {  // the terminal still gets the message
    }
  }
  log_message(LogLevel::error, concat("rank ", ranks.rank(), " of ", ranks.size(), ": ", what,
                                      "; ending every rank"));
  close_log_file();
  ranks.abort(code);
}

// What --help says the tool does (its flags: define_flags).
constexpr char kSummary[] =
    "Trains a UNet3D segmentation network (docs/model.md says how, docs/formats.md\n"
    "what it writes).";

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "trainer", kSummary, define_flags, [&](const Flags& flags) {
    Communicator& ranks = Communicator::world();  // one process, or mpirun's (srun's) ranks
    std::string run_folder;
    if (!ranks.distributed()) return train(flags, ranks, run_folder);
    // A rank that fails ends the job: the others would otherwise wait for it in a collective.
    try {
      return train(flags, ranks, run_folder);
    } catch (...) {
      const ErrorReport report = report_of(std::current_exception());
      end_every_rank(ranks, run_folder, report.message, report.exit_code);
    }
  });
}
