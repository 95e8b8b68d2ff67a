// evaluate: scores a folder of segmentations (ours, nnU-Net's, MONAI's) against label maps the
// way predict --labels does: every case and class into OUTPUT/cases.csv, a summary per class.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "io/dataset.h"
#include "io/nifti_geometry.h"
#include "runtime/atomic_file.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/log.h"
#include "runtime/shared_flags.h"
#include "scoring/case_scores.h"

namespace {

using namespace unet3d;
namespace fs = std::filesystem;

// What --help says the tool does (its flags: define_flags).
constexpr char kSummary[] =
    "Scores every segmentation in --pred against its label map in --labels (matched by name,\n"
    "with or without a _seg suffix; predict's _prob files are passed over): Dice, HD95, ASSD,\n"
    "NSD and volumes into OUT/cases.csv. Class names come from --class-names, else from a\n"
    "dataset.json (--dataset-json, or one in --labels or the folder above it), else class_0 ...";

void define_flags(Flags& flags) {
  flags.add("pred", "DIR", "folder of segmentations (.nii or .nii.gz label maps)");
  flags.add("labels", "DIR", "folder of the true label maps");
  flags.add("out", "DIR", "folder for cases.csv (created if needed)");
  flags.add_alias("output", "out");
  add_shared_flags(flags, {"classes"});
  flags.add("class-names", "A,B,...", "the classes' names, comma-separated, the background first");
  flags.add("dataset-json", "FILE", "a dataset.json whose \"labels\" name the classes");
  add_shared_flags(flags, {"nsd-tolerance", "threads"});
}

struct Pair {
  std::string name, pred, label;
};

// Every segmentation of `dir` with its label, sorted by name; checked to share its label's grid
// before anything is scored.
std::vector<Pair> pairs_of(const std::string& pred_dir, const std::string& label_dir) {
  if (!fs::is_directory(pred_dir))
    throw Error(ErrorKind::usage, concat("--pred ", pred_dir, ": not a folder"));
  if (!fs::is_directory(label_dir))
    throw Error(ErrorKind::usage, concat("--labels ", label_dir, ": not a folder"));
  std::vector<Pair> pairs;
  for (const auto& e : fs::directory_iterator(pred_dir)) {
    const std::string file = e.path().filename().string();
    if (file.starts_with(".") || !(file.ends_with(".nii.gz") || file.ends_with(".nii"))) continue;
    std::string name = case_name(e.path().string());
    if (name.ends_with("_prob")) continue;  // predict --probabilities: not a label map
    if (name.ends_with("_seg")) name.resize(name.size() - 4);
    pairs.push_back({name, e.path().string(), label_file_in(label_dir, name)});
  }
  if (pairs.empty()) throw Error(ErrorKind::data, concat(pred_dir, ": no .nii or .nii.gz files"));
  std::sort(pairs.begin(), pairs.end(),
            [](const Pair& a, const Pair& b) { return a.name < b.name; });
  for (const Pair& p : pairs)
    check_same_grid(p.pred, read_nifti_geometry(p.pred), p.label, read_nifti_geometry(p.label));
  return pairs;
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> names;
  std::istringstream in(text);
  for (std::string name; std::getline(in, name, ',');) names.push_back(name);
  return names;
}

// The classes' names as the flags and files give them (empty: numbered later), and where from.
std::vector<std::string> given_names(const Flags& flags, std::string& source) {
  if (flags.given("class-names")) {
    source = "--class-names";
    const std::vector<std::string> names = split_names(flags.text("class-names"));
    if (names.size() < 2)
      throw Error(ErrorKind::usage, concat("--class-names ", flags.text("class-names"),
                                           ": name at least two classes"));
    return names;
  }
  if (flags.given("dataset-json")) {
    source = flags.text("dataset-json");
    if (!fs::is_regular_file(source))
      throw Error(ErrorKind::usage, concat("--dataset-json ", source, ": no such file"));
    return dataset_json_class_names(source);
  }
  const fs::path labels = fs::absolute(flags.text("labels"));
  for (const fs::path& candidate : {labels / "dataset.json", labels.parent_path() / "dataset.json"})
    if (fs::is_regular_file(candidate)) {
      source = candidate.string();
      return dataset_json_class_names(source);
    }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "evaluate", kSummary, define_flags, [&](const Flags& flags) {
    if (!flags.given("pred") || !flags.given("labels") || !flags.given("out"))
      throw Error(ErrorKind::usage, "--pred, --labels and --out are required (see --help)");
    apply_thread_count(flags);
    if (flags.text("classes").find(',') != std::string::npos)
      throw Error(ErrorKind::usage, concat("--classes ", flags.text("classes"),
                                           ": a number of classes (as in trainer); names go in "
                                           "--class-names"));
    const std::vector<Pair> pairs = pairs_of(flags.text("pred"), flags.text("labels"));
    std::string source;
    std::vector<std::string> names = given_names(flags, source);
    int classes = class_count(flags, 256);
    if (classes == 0) classes = static_cast<int>(names.size());
    // Without a count or names, as many classes as the largest label of any file needs.
    if (classes == 0) {
      int top = 1;
      for (const Pair& p : pairs)
        for (const std::string& path : {p.pred, p.label}) {
          const NiftiVolume v = read_nifti(path);
          for (const float x : v.values) top = std::max(top, static_cast<int>(x));
        }
      classes = std::min(top + 1, 256);
    }
    if (!names.empty() && static_cast<int>(names.size()) != classes)
      throw Error(ErrorKind::usage,
                  concat(source, " names ", names.size(), " classes, --classes is ", classes));
    names = class_names_or_numbered(names, classes);
    CaseScoreTable scores(names, flags.number("nsd-tolerance"));
    ProgressBar bar("scoring", static_cast<std::int64_t>(pairs.size()));
    for (const Pair& p : pairs) {
      const NiftiVolume pred = read_nifti(p.pred), truth = read_nifti(p.label);
      const std::vector<std::uint8_t> pred_labels = class_labels(pred.values, classes, p.pred);
      const std::vector<std::uint8_t> true_labels = class_labels(truth.values, classes, p.label);
      scores.add(p.name, pred_labels.data(), true_labels.data(), grid_of(truth.geometry));
      bar.advance();
    }
    bar.finish();
    fs::create_directories(flags.text("out"));
    const fs::path csv = fs::path(flags.text("out")) / "cases.csv";
    write_file_atomically(csv.string(), scores.csv());
    std::printf("%s\n%zu cases; %s written\n", scores.summary_text("Scores per class").c_str(),
                pairs.size(), csv.string().c_str());
    return 0;
  });
}
