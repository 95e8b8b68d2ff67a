// predict: segments NIfTI volumes with a checkpoint or the ensemble of several
// (tools/evaluation/segmenter.h), optionally keeps each class's largest component, and writes the
// label maps (and optionally the class probabilities) on each input's own grid (docs/formats.md);
// with --labels, scores them. Reading the next cases and writing the finished ones overlap the
// network's work (tools/cohort/case_pipeline.h); under mpirun or srun the ranks share the inputs
// (tools/cohort/cohort_ranks.h).
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "io/json.h"
#include "layers/conv_algorithm.h"
#include "layers/window_inference.h"
#include "runtime/atomic_file.h"
#include "runtime/buffer.h"
#include "runtime/communicator.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/folder_lock.h"
#include "runtime/log.h"
#include "runtime/shared_flags.h"
#include "scoring/case_scores.h"
#include "tools/cohort/case_pipeline.h"
#include "tools/cohort/case_stages.h"
#include "tools/cohort/cohort_inputs.h"
#include "tools/cohort/cohort_ranks.h"
#include "tools/cohort/memory_bound.h"
#include "tools/evaluation/evaluator.h"
#include "tools/evaluation/segmenter.h"
#include "tools/model/checkpoint.h"
#include "tools/model/network_text.h"
#include "tools/report/report.h"
#include "tools/run/run_ranks.h"

namespace {

using namespace unet3d;
namespace fs = std::filesystem;

// What --help says the tool does (its flags: define_flags).
constexpr char kSummary[] =
    "Writes <name>_seg.nii.gz for each input volume, in the input's own space. --mode, --size,\n"
    "--spacing, --patch and --activation describe a checkpoint without metadata (a PyTorch\n"
    "state_dict); one of ours records its own.";

void define_flags(Flags& flags) {
  flags.add_list("checkpoint", "FILE",
                 "model .safetensors (ours, or a PyTorch state_dict); several: their ensemble, "
                 "the mean of their probabilities");
  flags.add_list("input", "PATH",
                 "input volumes (.nii or .nii.gz); a case's channel files joined by commas "
                 "(a_0000.nii.gz,a_0001.nii.gz); or a folder of <case>_0000.nii.gz, ...");
  flags.add("out", "DIR", "folder for the results (created if needed)");
  flags.add_alias("output", "out");
  add_shared_flags(flags, {"device", "threads", "precision"});
  flags.add_list("labels", "DIR|FILE",
                 "ground truth to score against: a folder, or one file per input");
  flags.add_switch("probabilities", "also write <name>_prob.nii.gz (float32, x, y, z, class)");
  add_shared_flags(flags, {"mode", "size", "spacing", "patch", "activation", "overlap", "tta"});
  flags.add("postprocess", "none|lcc|auto",
            "lcc: per foreground class, only its largest 26-connected component is kept; auto: "
            "for the classes cross_validate's summary names",
            "none");
  flags.add("summary", "FILE",
            "--postprocess auto: cross_validate's summary.json (default: beside the first "
            "checkpoint's run folder)");
  add_shared_flags(flags, {"nsd-tolerance", "deterministic"});
  flags.add("memory-limit", "SIZE",
            "host memory predict may take, the models' included (e.g. 8G, 512M); by default what "
            "the system reports available. Inputs whose buffers would not fit are refused before "
            "any is segmented");
  flags.add_switch("no-pipeline",
                   "read, segment and write one case after another (by default reading the next "
                   "cases and writing the finished ones overlap the network's work; the files are "
                   "the same)");
}

// A checkpoint's mode, size, spacing and patch: from its metadata, or for a plain state_dict
// from the flags (a usage Error naming them when they are missing).
ModelInfo model_info(const Flags& flags, const std::string& checkpoint) {
  ModelInfo info = read_model_info(checkpoint);
  const std::string mode = flags.text("mode");
  if (mode != "resize" && mode != "patch")
    throw Error(ErrorKind::usage, concat("--mode: '", mode, "' is not one of resize, patch"));
  if (flags.integer("size") <= 0)
    throw Error(ErrorKind::usage, concat("--size ", flags.integer("size"), ": must be positive"));
  const Activation activation = parse_activation(flags.text("activation"), "--activation");
  if (info.has_metadata) {
    for (const char* flag : {"mode", "size", "spacing", "patch", "activation"})
      if (flags.given(flag))
        log_warn("--", flag, " is ignored: ", checkpoint, " records its own in its metadata");
    return info;
  }
  info.config.activation = activation;
  if (mode == "patch") {
    if (!flags.given("spacing") || !flags.given("patch"))
      throw Error(ErrorKind::usage, concat(checkpoint,
                                           " has no metadata: give --mode patch --spacing X,Y,Z "
                                           "--patch X,Y,Z (the training run's)"));
    info.mode = InputMode::patch;
    info.spacing = spacing_of_xyz(flags.text("spacing"), "--spacing");
    info.patch = grid_of_xyz(flags.text("patch"), "--patch");
    return info;
  }
  info.input_size = flags.integer("size");
  if (!flags.given("size"))
    log_warn(checkpoint, " has no metadata: read as a resize-mode network of input side ",
             info.input_size,
             " (--size S for another; --mode patch --spacing X,Y,Z --patch X,Y,Z "
             "for a patch-mode one)");
  return info;
}

// The classes --postprocess keeps the largest component of: none, every foreground class (lcc),
// or those cross_validate's summary names (auto).
std::vector<bool> postprocessed_classes(const Flags& flags, const std::vector<std::string>& names) {
  const std::string& mode = flags.text("postprocess");
  std::vector<bool> chosen(names.size(), false);
  if (mode == "none") return chosen;
  if (mode == "lcc") {
    std::fill(chosen.begin() + 1, chosen.end(), true);
    return chosen;
  }
  if (mode != "auto")
    throw Error(ErrorKind::usage,
                concat("--postprocess: '", mode, "' is not one of none, lcc, auto"));
  const fs::path summary =
      flags.given("summary")
          ? fs::path(flags.text("summary"))
          : fs::path(flags.list("checkpoint")[0]).parent_path().parent_path() / "summary.json";
  if (!fs::exists(summary))
    throw Error(ErrorKind::usage, concat("--postprocess auto: no ", summary.string(),
                                         " (cross_validate writes it; or give --summary FILE)"));
  const json::Value root = json::parse_file(summary.string());
  const json::Value* classes = root.find("postprocess_lcc_classes");
  if (classes == nullptr || !classes->is(json::Value::Kind::array))
    throw Error(ErrorKind::data, concat(summary.string(), ": no postprocess_lcc_classes list"));
  for (const json::Value& name : classes->items) {
    const auto at = std::find(names.begin(), names.end(), name.text);
    if (at == names.end())
      throw Error(ErrorKind::data,
                  concat(summary.string(), ": class '", name.text, "' is not one of the model's"));
    chosen[static_cast<std::size_t>(at - names.begin())] = true;
  }
  log_info("--postprocess auto: the largest component of ", classes->items.size(), " classes, as ",
           summary.string(), " says");
  return chosen;
}

// --overlap and --tta, checked; either given for models none of which is in patch mode is a
// usage error.
WindowOptions window_options(const Flags& flags, const std::vector<ModelInfo>& models) {
  const bool patch_mode = std::any_of(
      models.begin(), models.end(), [](const ModelInfo& m) { return m.mode == InputMode::patch; });
  const WindowOptions window{flags.number("overlap"), flags.text("tta") == "mirror"};
  if (!(window.overlap >= 0 && window.overlap < 1))
    throw Error(ErrorKind::usage, concat("--overlap ", flags.text("overlap"), ": not in [0, 1)"));
  if (flags.text("tta") != "none" && flags.text("tta") != "mirror")
    throw Error(ErrorKind::usage,
                concat("--tta: '", flags.text("tta"), "' is not one of none, mirror"));
  if (!patch_mode && (flags.given("overlap") || window.mirror))
    throw Error(ErrorKind::usage, "--overlap and --tta apply to patch-mode checkpoints only");
  return window;
}

// What a killed predict left half-written in `out`, removed (with a warning).
void remove_half_written(const std::string& out) {
  const int partial = remove_partial_files(out, {"_seg.nii.gz", "_prob.nii.gz", "cases.csv"});
  if (partial > 0)
    log_warn("removed ", partial, " half-written file(s) (.partial-*) that a killed predict ",
             "left in ", out);
}

// The Dice table and the per-class scores of every case, printed; cases.csv written to `out`.
void print_scores(DiceTable& table, const CaseScoreTable& scores, const std::string& out) {
  table.finish();
  std::printf("%s\n", dice_table_text("Dice at native resolution", table).c_str());
  const fs::path csv = fs::path(out) / "cases.csv";
  write_file_atomically(csv.string(), scores.csv());
  std::printf("%s\n%s written\n",
              scores.summary_text("Scores per class at native resolution").c_str(),
              csv.string().c_str());
}

// What every rank needs before its cases: the inputs, checked, the models and what to write.
struct Setup {
  std::vector<InputCase> cases;  // every input, in order
  std::vector<InputCase> mine;   // this rank's share
  Device device = Device::cpu;
  Precision precision = Precision::f32;
  std::vector<ModelInfo> infos;
  WindowOptions window;
  std::optional<Segmenter> segmenter;
  std::vector<std::string> class_names;
  PredictOutputs outputs;
};

// The checks that need no model, and this rank's GPU.
void check_inputs(const Flags& flags, Communicator& ranks, Setup& s) {
  if (!flags.given("checkpoint") || !flags.given("input") || !flags.given("out"))
    throw Error(ErrorKind::usage, "--checkpoint, --input and --out are required (see --help)");
  apply_thread_count(flags);
  s.cases = checked_inputs(flags);
  s.device = parse_device(flags.text("device"));
  s.precision = resolve_precision(parse_precision_choice(flags.text("precision")), s.device);
  if (s.precision == Precision::f16 && s.device != Device::cuda)
    throw Error(ErrorKind::usage,
                "--precision fp16 (mixed precision) needs the CUDA backend; use fp32 on the CPU");
  take_own_gpu(ranks, s.device);
  set_deterministic_convolutions(flags.on("deterministic"));
  for (const std::string& checkpoint : flags.list("checkpoint"))
    s.infos.push_back(model_info(flags, checkpoint));
  check_channels(s.cases, s.infos[0], flags.list("checkpoint")[0]);
  s.window = window_options(flags, s.infos);
  std::vector<std::size_t> every(s.cases.size());
  for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
  for (const std::size_t i : rank_share(every, ranks)) s.mine.push_back(s.cases[i]);
}

// The models loaded, and what to write; this rank's labels checked (read whole).
void load_models(const Flags& flags, Communicator& ranks, Setup& s) {
  check_same_device(ranks, s.device);
  s.segmenter.emplace(flags.list("checkpoint"), s.infos, s.device, s.window, s.precision);
  const auto classes = static_cast<int>(s.segmenter->num_classes());
  s.class_names = class_names_or_numbered(s.segmenter->first_info().class_names, classes);
  s.outputs = {flags.text("out"), flags.on("probabilities"),
               postprocessed_classes(flags, s.class_names), !flags.list("labels").empty(),
               flags.number("nsd-tolerance")};
  if (s.outputs.scoring) check_label_values(s.mine, classes);
}

// The bound on this rank's buffers, stated (by rank 0) before the first case; inputs whose
// buffers would not fit are refused.
void check_predict_memory(const Flags& flags, Communicator& ranks, const Setup& s) {
  const auto& largest = s.outputs.largest_only;
  const PredictSettings settings{s.infos,
                                 s.device,
                                 s.segmenter->window_sums(),
                                 s.window,
                                 s.outputs.probabilities,
                                 s.outputs.scoring,
                                 std::find(largest.begin(), largest.end(), true) != largest.end(),
                                 !flags.on("no-pipeline"),
                                 QueueDepths{},
                                 s.mine.size()};
  std::vector<InputExtent> inputs;
  for (const InputCase& c : s.mine) inputs.push_back(input_extent(c));
  MemoryLimits limits;
  if (flags.given("memory-limit"))
    limits.host_limit = parse_byte_size(flags.text("memory-limit"), "memory-limit");
  limits.host_available = static_cast<std::int64_t>(available_memory(Device::cpu));
  if (s.device == Device::cuda)
    limits.device_available = static_cast<std::int64_t>(available_memory(Device::cuda));
  const MemoryStats models = memory_stats();  // the loaded models and their scratch
  check_memory(inputs, settings, models.live_bytes[0], models.live_bytes[1], limits,
               ranks.rank() == 0);
}

// This rank's cases through the stages, overlapped unless --no-pipeline. Among several ranks
// a failure names its case.
void run_cases(const Flags& flags, Communicator& ranks, const Setup& s, CaseStages& stages) {
  const auto read = [&](std::size_t k) { return stages.read(k); };
  const auto segment = [&](ReadCase c) { return stages.segment(std::move(c)); };
  const auto write = [&](SegmentedCase c) { stages.write(std::move(c)); };
  try {
    if (flags.on("no-pipeline")) {
      run_in_turn(stages.cases(), read, segment, write);
    } else {
      // The reader's and writer's OpenMP regions (the scores' distances) take --threads too.
      const int threads = omp_get_max_threads();
      run_overlapped(stages.cases(), QueueDepths{}, read, segment, write,
                     [threads] { omp_set_num_threads(threads); });
    }
  } catch (...) {
    // The stages stop at the first failing case: the one after those written.
    if (!ranks.distributed() || stages.written() >= s.mine.size()) throw;
    rethrow_led(std::current_exception(), concat("case ", s.mine[stages.written()].name, ": "));
  }
}

// The Dice table and the case scores of every input, in input order, from every rank's (a
// collective among several ranks).
void print_all_scores(Communicator& ranks, const Setup& s, CaseStages& stages) {
  if (!ranks.distributed()) {
    print_scores(stages.dice_table(), stages.case_scores(), s.outputs.folder);
    return;
  }
  std::vector<std::string> names;
  for (const InputCase& c : s.cases) names.push_back(c.name);
  DiceTable table = gather_table(ranks, stages.dice_table(), names);
  const CaseScoreTable scores = gather_scores(ranks, stages.case_scores(), s.cases.size());
  if (ranks.rank() == 0) print_scores(table, scores, s.outputs.folder);
}

int predict(const Flags& flags, Communicator& ranks) {
  RankOutcome outcome(ranks);
  Setup s;
  outcome.attempt([&] { check_inputs(flags, ranks, s); });
  if (!outcome.all_succeeded()) return outcome.agreed_exit_code();
  outcome.attempt([&] {
    load_models(flags, ranks, s);
    check_predict_memory(flags, ranks, s);
  });
  if (!outcome.all_succeeded()) return outcome.agreed_exit_code();
  // One predict per output folder (rank 0 holds it for the job); what a killed one left
  // half-written goes before any rank writes.
  std::optional<FolderLock> lock;
  if (ranks.rank() == 0)
    outcome.attempt([&] {
      fs::create_directories(s.outputs.folder);
      lock.emplace(s.outputs.folder, "predict.lock");
      remove_half_written(s.outputs.folder);
    });
  if (!outcome.all_succeeded()) return outcome.agreed_exit_code();

  CaseStages stages(s.mine, *s.segmenter, s.class_names, s.outputs);
  // Rank 0's bar counts the job's cases: each of its own stands for one on every rank until the
  // ranks' true total is known at the end.
  std::optional<ProgressBar> bar;
  if (ranks.rank() == 0) {
    bar.emplace("predict", static_cast<std::int64_t>(s.cases.size()), stderr,
                RateUnit{"cases/min", 60});
    stages.on_written = [&] { bar->advance(ranks.size()); };
  }
  outcome.attempt([&] { run_cases(flags, ranks, s, stages); });
  double written = static_cast<double>(stages.written());
  ranks.sum(&written, 1);
  if (bar)
    bar->set_done(static_cast<std::int64_t>(written),
                  ranks.distributed() ? concat(ranks.size(), " ranks") : "");
  if (!outcome.all_succeeded()) return outcome.agreed_exit_code();
  if (bar) bar->finish();
  if (ranks.rank() == 0)
    std::printf("%zu segmentation(s) written to %s\n", s.cases.size(), s.outputs.folder.c_str());
  if (s.outputs.scoring) print_all_scores(ranks, s, stages);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "predict", kSummary, define_flags, [&](const Flags& flags) {
    return predict(flags, Communicator::world());  // one process, or mpirun's (srun's) ranks
  });
}
