// predict: segments NIfTI volumes with a checkpoint or the ensemble of several
// (tools/evaluation/segmenter.h), optionally keeps each class's largest component, and writes the
// label maps (and optionally the class probabilities) on each input's own grid (docs/formats.md);
// with --labels, scores them.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "io/dataset.h"
#include "io/json.h"
#include "io/nifti_geometry.h"
#include "io/preprocess.h"
#include "io/resampled.h"
#include "layers/conv3d.h"
#include "layers/conv_algorithm.h"
#include "layers/inference.h"
#include "layers/scoring.h"
#include "layers/window_inference.h"
#include "runtime/atomic_file.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/folder_lock.h"
#include "runtime/log.h"
#include "runtime/shared_flags.h"
#include "scoring/case_scores.h"
#include "scoring/postprocess.h"
#include "tools/evaluation/evaluator.h"
#include "tools/evaluation/segmenter.h"
#include "tools/model/checkpoint.h"
#include "tools/model/network_text.h"
#include "tools/report/report.h"

namespace {

using namespace unet3d;
namespace fs = std::filesystem;

// One case to segment: its channel files in order, the name its results take, its label file.
struct InputCase {
  std::string name;
  std::vector<std::string> channels;
  std::string label;  // "" without --labels
};

// The cases of --input: each value a file, channel files joined by commas, or a folder of the
// Decathlon layout (every case in it, its channels <case>_0000, _0001, ...).
std::vector<InputCase> input_cases(const Flags& flags) {
  std::vector<InputCase> cases;
  for (const std::string& value : flags.list("input")) {
    if (fs::is_directory(value)) {
      const auto found = channel_files_of(value);
      if (found.empty())
        throw Error(ErrorKind::data, concat("--input ", value, ": no .nii or .nii.gz files"));
      for (const auto& [name, channels] : found) cases.push_back({name, channels, ""});
      continue;
    }
    std::vector<std::string> channels;
    std::size_t from = 0;
    for (std::size_t comma; (comma = value.find(',', from)) != std::string::npos; from = comma + 1)
      channels.push_back(value.substr(from, comma - from));
    channels.push_back(value.substr(from));
    cases.push_back({case_name(channels.front()), channels, ""});
  }
  return cases;
}

// Every check that needs no network, made before anything is written: one output name per case,
// every channel a readable 3-D volume on its case's grid, every label readable and on that grid.
// Returns the cases with their label files.
std::vector<InputCase> checked_inputs(const Flags& flags) {
  std::vector<InputCase> cases = input_cases(flags);
  const std::vector<std::string>& labels = flags.list("labels");
  const bool label_folder = labels.size() == 1 && fs::is_directory(labels[0]);
  if (!labels.empty() && !label_folder && labels.size() != cases.size())
    throw Error(ErrorKind::usage,
                concat("--labels: ", labels.size(), " files for ", cases.size(), " inputs"));
  std::map<std::string, std::string> writer_of;  // output name -> the input writing it
  for (std::size_t k = 0; k < cases.size(); ++k) {
    InputCase& c = cases[k];
    const std::string& path = c.channels.front();
    if (const auto [at, added] = writer_of.emplace(c.name, path); !added)
      throw Error(ErrorKind::usage,
                  concat("--input ", at->second, " and ", path, " would both write ", c.name,
                         "_seg.nii.gz: give them different file names"));
    const NiftiGeometry grid = read_nifti_geometry(path);
    require_volume(path, grid);
    for (std::size_t channel = 1; channel < c.channels.size(); ++channel) {
      const NiftiGeometry other = read_nifti_geometry(c.channels[channel]);
      require_volume(c.channels[channel], other);
      if (const std::string difference = grid_difference(grid, other); !difference.empty())
        throw Error(ErrorKind::data,
                    concat("--input ", c.channels[channel], " (channel ", channel, ") and ", path,
                           " (channel 0) are not on the same grid: ", difference));
    }
    c.label = labels.empty() ? "" : label_folder ? label_file_in(labels[0], c.name) : labels[k];
    if (!labels.empty()) check_same_grid(path, grid, c.label, read_nifti_geometry(c.label));
  }
  return cases;
}

// Every case must have the channels the models take (they agree: Segmenter checks).
void check_channels(const std::vector<InputCase>& cases, const ModelInfo& model,
                    const std::string& checkpoint) {
  for (const InputCase& c : cases)
    if (static_cast<std::int64_t>(c.channels.size()) != model.config.in_channels)
      throw Error(ErrorKind::usage,
                  concat("--input ", c.channels.front(), ": ", c.channels.size(),
                         " channel(s), but ", checkpoint, " takes ", model.config.in_channels,
                         " (give a case's channel files as --input a_0000.nii.gz,a_0001.nii.gz,"
                         "... or a folder of <case>_0000.nii.gz, <case>_0001.nii.gz, ...)"));
}

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
  add_shared_flags(flags, {"device", "threads"});
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

// probabilities ([1, D, H, W, C] f32, on any device) as a NIfTI of C volumes on grid g: NIfTI
// wants the class axis slowest, (x, y, z, class).
void write_probabilities(const fs::path& path, const NiftiGeometry& g,
                         const Tensor& probabilities) {
  const Tensor p = probabilities.to(Device::cpu);
  const std::int64_t classes = p.shape().c, voxels = g.voxels();
  std::vector<float> planar(static_cast<std::size_t>(p.numel()));
  for (std::int64_t v = 0; v < voxels; ++v)
    for (std::int64_t c = 0; c < classes; ++c)
      planar[static_cast<std::size_t>(c * voxels + v)] = p.data_as<float>()[v * classes + c];
  write_nifti(path.string(), g, planar.data(), NiftiStorage::f32, classes);
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "predict", kSummary, define_flags, [&](const Flags& flags) {
    if (!flags.given("checkpoint") || !flags.given("input") || !flags.given("out"))
      throw Error(ErrorKind::usage, "--checkpoint, --input and --out are required (see --help)");
    apply_thread_count(flags);
    const std::vector<InputCase> cases = checked_inputs(flags);
    const Device device = parse_device(flags.text("device"));
    set_deterministic_convolutions(flags.on("deterministic"));
    std::vector<ModelInfo> infos;
    for (const std::string& checkpoint : flags.list("checkpoint"))
      infos.push_back(model_info(flags, checkpoint));
    check_channels(cases, infos[0], flags.list("checkpoint")[0]);
    Segmenter segmenter(flags.list("checkpoint"), infos, device, window_options(flags, infos));
    const std::int64_t classes = segmenter.num_classes();
    const std::vector<std::string> names =
        class_names_or_numbered(segmenter.first_info().class_names, static_cast<int>(classes));
    const std::vector<bool> largest_only = postprocessed_classes(flags, names);
    const bool scoring = !flags.list("labels").empty();
    // Every label within the model's classes before anything is written (read again to score).
    if (scoring)
      for (const InputCase& input : cases)
        class_labels(read_nifti(input.label).values, static_cast<int>(classes), input.label);
    fs::create_directories(flags.text("out"));
    // One predict per output folder; what a killed one left half-written goes.
    const FolderLock lock(flags.text("out"), "predict.lock");
    remove_half_written(flags.text("out"));

    DiceTable table;
    table.class_names = names;
    CaseScoreTable scores(names, flags.number("nsd-tolerance"));
    ProgressBar bar("predict", static_cast<std::int64_t>(cases.size()));
    for (const InputCase& input : cases) {
      const std::string& path = input.channels.front();
      const std::string& name = input.name;
      NiftiVolume volume = read_channels(input.channels);
      const NiftiGeometry& g = volume.geometry;
      const Shape native{1, g.nz, g.ny, g.nx, 1};
      // The native-size probabilities (C times the volume) only where they are written.
      Tensor resampled = flags.on("probabilities")
                             ? Tensor(native.with_channels(classes), DType::f32, device)
                             : Tensor();
      Tensor segmentation(native, DType::u8, device);
      segmenter.segment(volume, path, segmentation,
                        flags.on("probabilities") ? &resampled : nullptr);
      Tensor host = segmentation.to(Device::cpu);
      if (std::find(largest_only.begin(), largest_only.end(), true) != largest_only.end()) {
        keep_largest_components(host.data_as<std::uint8_t>(), {g.nz, g.ny, g.nx}, largest_only);
        segmentation.copy_from(host);
      }
      const fs::path out = fs::path(flags.text("out")) / (name + "_seg.nii.gz");
      write_nifti(out.string(), g, host.data(), NiftiStorage::u8);
      log_debug(path, " -> ", out.string());
      if (&input == &cases.front() && !conv_planning_report().empty())
        log_debug(conv_planning_report());
      if (flags.on("probabilities"))
        write_probabilities(fs::path(flags.text("out")) / (name + "_prob.nii.gz"), g, resampled);
      if (scoring) {
        const std::vector<std::uint8_t> truth =
            class_labels(read_nifti(input.label).values, static_cast<int>(classes), input.label);
        const Tensor truth_tensor =
            Tensor::view(const_cast<std::uint8_t*>(truth.data()), native, DType::u8, Device::cpu)
                .to(device);
        Tensor counts({1, 1, 1, 3, classes}, DType::f64, device);
        overlap_counts(segmentation, truth_tensor, counts);
        table.add(name, counts.to(Device::cpu).data_as<double>());
        scores.add(name, host.data_as<std::uint8_t>(), truth.data(), grid_of(g));
      }
      bar.advance();
    }
    bar.finish();
    std::printf("%zu segmentation(s) written to %s\n", cases.size(), flags.text("out").c_str());
    if (scoring) print_scores(table, scores, flags.text("out"));
    return 0;
  });
}
