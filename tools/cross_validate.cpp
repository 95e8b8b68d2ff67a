// cross_validate: trains every fold of a K-fold cross-validation (trainer --folds K --fold k, one
// run folder each, a finished fold kept and an unfinished one resumed), then summarises the folds:
// each fold's best validation Dice, its validation Dice at native resolution with and without
// keeping each class's largest component, and its test Dice; the mean and spread over the folds;
// and the classes whose mean native validation Dice the largest component raised, which
// predict --postprocess auto reads (docs/formats.md, Cross-validation).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "io/dataset.h"
#include "io/json.h"
#include "io/preprocess_parts.h"
#include "io/split.h"
#include "layers/scoring.h"
#include "runtime/atomic_file.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/log.h"
#include "runtime/shared_flags.h"
#include "scoring/postprocess.h"
#include "tools/evaluation/evaluator.h"
#include "tools/evaluation/segmenter.h"

namespace {

using namespace unet3d;
namespace fs = std::filesystem;

constexpr char kSummary[] =
    "Trains the K folds of a cross-validation with trainer and writes OUT/summary.json and\n"
    "OUT/summary.md: per class the folds' validation and test Dice, their mean and spread, and\n"
    "where keeping the largest component helps (predict --postprocess auto).";

void define_flags(Flags& flags) {
  flags.add("folds", "K", "the number of folds, at least 2");
  flags.add("out", "DIR", "the folder of the folds' run folders (fold_0 ... fold_K-1)");
  flags.add("trainer-flags", "\"FLAGS\"",
            "the trainer's flags for every fold, one argument (no --out, --folds, --fold)", "");
  add_shared_flags(flags, {"device", "threads"});
  flags.add_switch("restart",
                   "train again the folds that were trained with other --folds or --trainer-flags");
}

// What a fold was trained with, recorded in its run folder before its trainer starts.
constexpr char kFoldRecord[] = "cross_validate.json";

std::string fold_record(std::int64_t folds, const std::string& trainer_flags) {
  return concat("{\"folds\": ", folds, ", \"trainer_flags\": ", json::quote(trainer_flags), "}\n");
}

// "" where `run` holds no fold yet (a trainer that refused its flags wrote no config.json) or
// one trained with these settings; else how it differs.
std::string fold_difference(const fs::path& run, std::int64_t folds,
                            const std::string& trainer_flags) {
  const fs::path record = run / kFoldRecord;
  if (!fs::exists(run / "config.json")) return "";
  if (!fs::exists(record))
    return concat(run.string(), " holds a run without ", kFoldRecord,
                  " (not one of cross_validate's folds)");
  const json::Value was = json::parse_file(record.string());
  const json::Value* was_folds = was.find("folds");
  const json::Value* was_flags = was.find("trainer_flags");
  if (was_folds == nullptr || was_flags == nullptr)
    return concat(record.string(), " lacks \"folds\" or \"trainer_flags\"");
  if (was_folds->text != std::to_string(folds))
    return concat(run.string(), " was trained as one of --folds ", was_folds->text, ", not ",
                  folds);
  if (was_flags->text != trainer_flags)
    return concat(run.string(), " was trained with --trainer-flags ", shell_quoted(was_flags->text),
                  ", not ", shell_quoted(trainer_flags));
  return "";
}

// Runs the trainer; its exit code (an interrupted trainer's 130 or 143 ends cross_validate too).
int run_trainer(const std::string& command) {
  log_info("running: ", command);
  const int status = std::system(command.c_str());
  if (status == -1) throw Error(ErrorKind::runtime, concat("cannot start: ", command));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The per-class validation Dice of the epoch with the best mean (metrics.csv), by class name.
std::map<std::string, double> best_validation(const fs::path& metrics) {
  std::ifstream in(metrics);
  if (!in) throw Error(ErrorKind::data, concat(metrics.string(), ": cannot open it"));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::istringstream names(line);
  for (std::string cell; std::getline(names, cell, ',');) header.push_back(cell);
  std::map<std::string, double> best;
  double best_mean = -1;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    std::map<std::string, double> dice;
    double mean = -1;
    for (std::size_t i = 0; i < cells.size() && i < header.size(); ++i) {
      if (cells[i].empty() || header[i].rfind("val_dice_", 0) != 0) continue;
      const std::string name = header[i].substr(9);
      (name == "mean" ? mean : dice[name]) = std::stod(cells[i]);
    }
    if (mean > best_mean) best_mean = mean, best = dice;
  }
  return best;
}

struct FoldScores {
  std::map<std::string, double> val_best, val_native, val_native_lcc, test_native;
};

// The fold's validation cases segmented at native resolution by its best checkpoint, scored
// plain and with every foreground class's largest component kept.
void score_validation(const fs::path& run, const json::Value& settings, Device device,
                      FoldScores& scores) {
  const std::string data = settings.find("data")->text;
  const DatasetIndex index =
      discover_dataset(data, parse_layout(settings.find("layout")->text, "--layout"));
  const std::vector<CaseInfo> cases = preprocess_parts::case_infos(index);
  const Split split = read_split((run / "split.json").string(), cases);
  const std::string checkpoint = (run / "best.safetensors").string();
  Segmenter segmenter({checkpoint}, {read_model_info(checkpoint)}, device, WindowOptions{});
  const auto classes = static_cast<int>(segmenter.num_classes());
  const std::vector<std::string> names =
      class_names_or_numbered(segmenter.first_info().class_names, classes);
  DiceTable plain, lcc;
  plain.class_names = lcc.class_names = names;
  for (const std::size_t i : case_indices(cases, split.val)) {
    const CasePaths& c = index.cases[i];
    LoadedCase loaded = load_case(c, classes);
    const NiftiGeometry& g = loaded.image.geometry;
    const Shape native{1, g.nz, g.ny, g.nx, 1};
    Tensor segmentation(native, DType::u8, device);
    segmenter.segment(loaded.image, c.images.front(), segmentation, nullptr);
    const Tensor truth = Tensor::view(loaded.labels.data(), native, DType::u8, Device::cpu);
    Tensor host = segmentation.to(Device::cpu);
    Tensor counts({1, 1, 1, 3, classes}, DType::f64);
    overlap_counts(host, truth, counts);
    plain.add(c.name, counts.data_as<double>());
    keep_largest_components(host.data_as<std::uint8_t>(), {g.nz, g.ny, g.nx},
                            std::vector<bool>(static_cast<std::size_t>(classes), true));
    overlap_counts(host, truth, counts);
    lcc.add(c.name, counts.data_as<double>());
  }
  plain.finish(), lcc.finish();
  for (std::size_t k = 0; k < names.size(); ++k) {
    scores.val_native[names[k]] = plain.per_class[k];
    scores.val_native_lcc[names[k]] = lcc.per_class[k];
  }
}

std::string number(double v) {
  return std::isfinite(v) ? concat(std::round(v * 1e4) / 1e4) : "null";
}

// summary.json and summary.md: per class and measure each fold's value, their mean and their
// (population) spread; with native scores, the classes the largest component helps.
void write_summary(const fs::path& out, const std::vector<std::string>& classes,
                   const std::vector<FoldScores>& scores, bool native_scored) {
  const auto folds = static_cast<std::int64_t>(scores.size());
  const auto table = [&](auto member) {
    std::string json = "{";
    std::string md;
    for (const std::string& c : classes) {
      double sum = 0, squares = 0;
      std::string values;
      for (const FoldScores& s : scores) {
        const auto& m = s.*member;
        const double v = m.count(c) ? m.at(c) : NAN;
        sum += v, squares += v * v;
        values += (values.empty() ? "" : ", ") + number(v);
      }
      const double mean = sum / static_cast<double>(folds);
      const double spread =
          std::sqrt(std::max(0.0, squares / static_cast<double>(folds) - mean * mean));
      json += concat(json.size() > 1 ? ", " : "", json::quote(c), ": {\"folds\": [", values,
                     "], \"mean\": ", number(mean), ", \"std\": ", number(spread), "}");
      md += concat("| ", c, " | ", values, " | ", number(mean), " ± ", number(spread), " |\n");
    }
    return std::pair{json + "}", md};
  };
  const auto [val_json, val_md] = table(&FoldScores::val_best);
  const auto [test_json, test_md] = table(&FoldScores::test_native);
  std::string json = concat("{\"folds\": ", folds, ",\n \"validation_dice\": ", val_json,
                            ",\n \"test_dice_native\": ", test_json);
  std::string md = concat("# Cross-validation, ", folds, " folds\n\n## Best validation Dice\n\n",
                          "| class | folds | mean ± std |\n|---|---|---|\n", val_md,
                          "\n## Test Dice at native resolution\n\n",
                          "| class | folds | mean ± std |\n|---|---|---|\n", test_md);
  if (native_scored) {
    const auto [plain_json, plain_md] = table(&FoldScores::val_native);
    const auto [lcc_json, lcc_md] = table(&FoldScores::val_native_lcc);
    std::string chosen;
    for (std::size_t c = 1; c < classes.size(); ++c) {
      double plain = 0, lcc = 0;
      for (const FoldScores& s : scores)
        plain += s.val_native.at(classes[c]), lcc += s.val_native_lcc.at(classes[c]);
      if (lcc > plain) chosen += (chosen.empty() ? "" : ", ") + json::quote(classes[c]);
    }
    json += concat(",\n \"validation_dice_native\": ", plain_json,
                   ",\n \"validation_dice_native_lcc\": ", lcc_json,
                   ",\n \"postprocess_lcc_classes\": [", chosen, "]");
    md += concat("\n## Validation Dice at native resolution, plain\n\n",
                 "| class | folds | mean ± std |\n|---|---|---|\n", plain_md,
                 "\n## ... keeping each class's largest component\n\n",
                 "| class | folds | mean ± std |\n|---|---|---|\n", lcc_md,
                 "\npredict --postprocess auto keeps the largest component of: [", chosen, "]\n");
  } else {
    log_warn(
        "the folds trained on generated phantoms: no validation files to decide the "
        "post-processing on (summary.json has no postprocess_lcc_classes)");
  }
  write_file_atomically((out / "summary.json").string(), json + "}\n");
  write_file_atomically((out / "summary.md").string(), md);
  std::printf("%s\n%s written\n", md.c_str(), (out / "summary.json").string().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "cross_validate", kSummary, define_flags, [&](const Flags& flags) {
    if (!flags.given("folds") || !flags.given("out"))
      throw Error(ErrorKind::usage, "--folds and --out are required (see --help)");
    const std::int64_t folds = flags.integer("folds");
    if (folds < 2) throw Error(ErrorKind::usage, concat("--folds ", folds, ": at least 2"));
    const std::string extra = flags.text("trainer-flags");
    std::istringstream words(extra);
    for (std::string word; words >> word;) {
      const std::string flag = word.substr(0, word.find('='));
      for (const char* owned : {"--out", "--folds", "--fold", "--resume", "--split"})
        if (flag == owned)
          throw Error(ErrorKind::usage,
                      concat("--trainer-flags: ", owned, " is cross_validate's to set"));
    }
    const Device device = parse_device(flags.text("device"));
    apply_thread_count(flags);
    const fs::path out = flags.text("out");
    const fs::path trainer = fs::path(argv[0]).parent_path() / "trainer";
    // Every fold's settings before any fold trains: a finished fold of other settings would
    // otherwise be summarised as if it were this run's, an unfinished one resumed with its own.
    for (std::int64_t k = 0; k < folds; ++k) {
      const fs::path run = out / concat("fold_", k);
      const std::string difference = fold_difference(run, folds, extra);
      if (difference.empty()) continue;
      if (!flags.on("restart"))
        throw Error(ErrorKind::usage,
                    concat(difference, ": choose another --out, or give --restart to train ",
                           "the folds of other settings again"));
      log_warn(difference, ": --restart trains it again");
      fs::remove_all(run);
    }
    std::vector<FoldScores> scores(static_cast<std::size_t>(folds));
    std::vector<std::string> classes;
    bool native_scored = true;
    for (std::int64_t k = 0; k < folds; ++k) {
      const fs::path run = out / concat("fold_", k);
      if (!fs::exists(run / "config.json")) {  // nothing trained yet: these settings are its
        fs::create_directories(run);
        write_file_atomically((run / kFoldRecord).string(), fold_record(folds, extra));
      }
      if (!fs::exists(run / "test" / "report.json")) {
        const std::string command =
            fs::exists(run / "config.json")
                ? concat(shell_quoted(trainer.string()), " --resume ", shell_quoted(run.string()))
                : concat(shell_quoted(trainer.string()), " ", extra, " --folds ", folds, " --fold ",
                         k, " --out ", shell_quoted(run.string()));
        if (const int code = run_trainer(command); code != 0) return code;
      }
      FoldScores& s = scores[static_cast<std::size_t>(k)];
      s.val_best = best_validation(run / "metrics.csv");
      const json::Value report = json::parse_file((run / "test" / "report.json").string());
      classes.clear();
      for (const json::Member& m : report.find("native_resolution")->find("per_class")->members) {
        classes.push_back(m.key);
        s.test_native[m.key] =
            m.value.is(json::Value::Kind::number) ? std::stod(m.value.text) : NAN;
      }
      const json::Value config = json::parse_file((run / "config.json").string());
      const json::Value& settings = *config.find("settings");
      if (settings.find("data")->text.empty()) {
        native_scored = false;  // generated phantoms: no files to segment
      } else {
        score_validation(run, settings, device, s);
      }
    }
    write_summary(out, classes, scores, native_scored);
    return 0;
  });
}
