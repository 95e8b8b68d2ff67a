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
#include "tools/case_scores.h"

namespace {

using namespace unet3d;
namespace fs = std::filesystem;

// What --help says the tool does (its flags: define_flags).
constexpr char kSummary[] =
    "Scores every segmentation in --pred against its label map in --labels (matched by name,\n"
    "with or without a _seg suffix): Dice, HD95, ASSD, NSD and volumes into OUTPUT/cases.csv.";

void define_flags(Flags& flags) {
  flags.add("pred", "DIR", "folder of segmentations (.nii or .nii.gz label maps)");
  flags.add("labels", "DIR", "folder of the true label maps");
  flags.add("output", "DIR", "folder for cases.csv (created if needed)");
  flags.add("classes", "NAMES",
            "comma-separated class names (default: class_0 ... up to the "
            "largest label)");
  flags.add("nsd-tolerance", "MM", "the tolerance of the surface Dice (NSD)", "2");
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

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "evaluate", kSummary, define_flags, [&](const Flags& flags) {
    if (!flags.given("pred") || !flags.given("labels") || !flags.given("output"))
      throw Error(ErrorKind::usage, "--pred, --labels and --output are required (see --help)");
    const std::vector<Pair> pairs = pairs_of(flags.text("pred"), flags.text("labels"));
    std::vector<std::string> names = split_names(flags.text("classes"));
    if (flags.given("classes") && names.size() < 2)
      throw Error(ErrorKind::usage,
                  concat("--classes ", flags.text("classes"), ": name at least two classes"));
    // Without names, as many classes as the largest label of any file needs (at least 2).
    int classes = static_cast<int>(names.size());
    if (names.empty()) {
      int top = 1;
      for (const Pair& p : pairs)
        for (const std::string& path : {p.pred, p.label}) {
          const NiftiVolume v = read_nifti(path);
          for (const float x : v.values) top = std::max(top, static_cast<int>(x));
        }
      classes = std::min(top + 1, 256);
      names = class_names_or_numbered({}, classes);
    }
    CaseScoreTable scores(names, flags.number("nsd-tolerance"));
    for (const Pair& p : pairs) {
      const NiftiVolume pred = read_nifti(p.pred), truth = read_nifti(p.label);
      const std::vector<std::uint8_t> pred_labels = class_labels(pred.values, classes, p.pred);
      const std::vector<std::uint8_t> true_labels = class_labels(truth.values, classes, p.label);
      scores.add(p.name, pred_labels.data(), true_labels.data(), grid_of(truth.geometry));
    }
    fs::create_directories(flags.text("output"));
    const fs::path csv = fs::path(flags.text("output")) / "cases.csv";
    write_file_atomically(csv.string(), scores.csv());
    std::printf("%s\n%zu cases; %s written\n", scores.summary_text("Scores per class").c_str(),
                pairs.size(), csv.string().c_str());
    return 0;
  });
}
