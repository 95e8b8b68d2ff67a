// Dataset discovery for both layouts, and loading a validated image/label pair.
#include "io/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>

#include "io/json.h"
#include "io/nifti_geometry.h"
#include "runtime/error.h"
#include "runtime/log.h"

namespace unet3d {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void data_error(const std::string& what) {
  throw_error(ErrorKind::data, what, __FILE__, __LINE__);
}

bool is_nifti(const std::string& name) {
  return name.ends_with(".nii.gz") || name.ends_with(".nii");
}

std::string strip_nifti(const std::string& name) {
  if (name.ends_with(".nii.gz")) return name.substr(0, name.size() - 7);
  if (name.ends_with(".nii")) return name.substr(0, name.size() - 4);
  return name;
}

// The "training" list of a dataset.json names files; warns of each entry whose image or label is
// not there (an image listed as x.nii.gz may be stored as the channel file x_0000.nii.gz).
void warn_listed_but_missing(const json::Value& root, const fs::path& folder,
                             const fs::path& json_path) {
  const json::Value* training = root.find("training");
  if (training == nullptr || !training->is(json::Value::Kind::array)) return;
  const auto present = [&](const json::Value* entry, bool image) {
    if (entry == nullptr || !entry->is(json::Value::Kind::string)) return true;
    const fs::path path = folder / entry->text;
    if (fs::exists(path)) return true;
    const std::string stem = strip_nifti(path.filename().string());
    return image && (fs::exists(path.parent_path() / (stem + "_0000.nii.gz")) ||
                     fs::exists(path.parent_path() / (stem + "_0000.nii")));
  };
  for (const json::Value& item : training->items) {
    const json::Value* image = item.find("image");
    const json::Value* label = item.find("label");
    if (!present(image, true) || !present(label, false))
      log_warn(json_path.string(), " lists ", image ? image->text : "a case", " with label ",
               label ? label->text : "(none)", ", but ",
               !present(image, true) ? "the image" : "the label", " is missing");
  }
}

// The class names of a dataset.json (none when it is absent or names none), after the check of
// the cases it lists.
std::vector<std::string> decathlon_class_names(const fs::path& json_path) {
  if (!fs::exists(json_path)) return {};
  const json::Value root = json::parse_file(json_path.string());
  warn_listed_but_missing(root, json_path.parent_path(), json_path);
  const json::Value* labels = root.find("labels");
  if (labels == nullptr || !labels->is(json::Value::Kind::object)) return {};
  std::map<std::int64_t, std::string> by_index;
  // The Decathlon maps index -> name; nnU-Net v2 maps name -> index.
  const bool name_to_index =
      !labels->members.empty() && labels->members.front().value.is(json::Value::Kind::number);
  for (const auto& [key, value] : labels->members) {
    if (name_to_index) {
      by_index[value.as_int(json_path.string() + ": labels value")] = key;
      continue;
    }
    json::Value k;
    k.kind = json::Value::Kind::number;
    k.text = key;
    by_index[k.as_int(json_path.string() + ": labels key")] = value.text;
  }
  std::vector<std::string> names;
  for (const auto& [index, name] : by_index) {
    if (index != static_cast<std::int64_t>(names.size()))
      data_error(concat(json_path.string(), ": label indices are not 0, 1, 2, ..."));
    names.push_back(name);
  }
  return names;
}

DatasetIndex discover_decathlon(const fs::path& root) {
  DatasetIndex index;
  index.layout = DatasetLayout::decathlon;
  const fs::path images = root / "imagesTr", labels = root / "labelsTr";
  if (!fs::is_directory(images) || !fs::is_directory(labels))
    data_error(concat(root.string(), ": no imagesTr/ and labelsTr/ folders (Decathlon layout)"));
  std::map<std::string, std::string> label_files;
  for (const auto& e : fs::directory_iterator(labels)) {
    const std::string name = e.path().filename().string();
    if (is_nifti(name) && !name.starts_with("."))
      label_files[strip_nifti(name)] = e.path().string();
  }
  for (const auto& e : fs::directory_iterator(images)) {
    const std::string file = e.path().filename().string();
    if (!is_nifti(file) || file.starts_with(".")) continue;
    const std::string name = case_name(file);
    const auto label = label_files.find(name);
    if (label == label_files.end()) {
      index.unmatched.push_back(e.path().string());
      continue;
    }
    index.cases.push_back({name, name, e.path().string(), label->second});
    label_files.erase(label);
  }
  for (const auto& [name, path] : label_files) index.unmatched.push_back(path);
  index.class_names = decathlon_class_names(root / "dataset.json");
  return index;
}

DatasetIndex discover_hipmri(const fs::path& root) {
  DatasetIndex index;
  index.layout = DatasetLayout::hipmri;
  std::map<std::string, std::string> labels;  // file name -> path
  std::vector<fs::path> images;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (!is_nifti(name) || strip_nifti(name).find("_LFOV") == std::string::npos) continue;
    if (name.find("_SEMANTIC_") != std::string::npos)
      labels[name] = e.path().string();
    else if (strip_nifti(name).ends_with("_LFOV"))
      images.push_back(e.path());
  }
  static const std::regex patient_pattern("^(Case_[0-9]+)");
  for (const fs::path& image : images) {
    const std::string file = image.filename().string();
    std::string label_name = file;
    label_name.insert(file.rfind("_LFOV"), "_SEMANTIC");
    const auto label = labels.find(label_name);
    if (label == labels.end()) {
      index.unmatched.push_back(image.string());
      continue;
    }
    std::smatch match;
    const std::string name = strip_nifti(file);
    const std::string patient =
        std::regex_search(name, match, patient_pattern) ? match[1].str() : name;
    index.cases.push_back({name, patient, image.string(), label->second});
    labels.erase(label);
  }
  for (const auto& [name, path] : labels) index.unmatched.push_back(path);
  index.class_names = hipmri_class_names();
  return index;
}

}  // namespace

const std::vector<std::string>& hipmri_class_names() {
  static const std::vector<std::string> names{"background", "body",   "bone",
                                              "bladder",    "rectum", "prostate"};
  return names;
}

std::string case_name(const std::string& path) {
  std::string name = strip_nifti(fs::path(path).filename().string());
  if (name.ends_with("_0000")) name.resize(name.size() - 5);
  return name;
}

std::string label_file_in(const std::string& dir, const std::string& name) {
  std::vector<std::string> candidates{name};
  if (const auto at = name.rfind("_LFOV"); at != std::string::npos)
    candidates.push_back(std::string(name).insert(at, "_SEMANTIC"));
  for (const std::string& c : candidates)
    for (const char* ext : {".nii.gz", ".nii"})
      if (fs::exists(fs::path(dir) / (c + ext))) return (fs::path(dir) / (c + ext)).string();
  data_error(concat("--labels ", dir, ": no label file for ", name));
}

std::vector<std::string> class_names_or_numbered(const std::vector<std::string>& names,
                                                 int classes) {
  if (static_cast<int>(names.size()) == classes) return names;
  std::vector<std::string> numbered;
  for (int c = 0; c < classes; ++c) numbered.push_back(concat("class_", c));
  return numbered;
}

DatasetLayout parse_layout(const std::string& word, const std::string& flag) {
  if (word == "auto") return DatasetLayout::automatic;
  if (word == "hipmri") return DatasetLayout::hipmri;
  if (word == "decathlon" || word == "msd") return DatasetLayout::decathlon;
  throw_error(ErrorKind::usage,
              concat(flag, ": unknown layout '", word, "' (auto, hipmri, msd or decathlon)"),
              __FILE__, __LINE__);
}

DatasetIndex discover_dataset(const std::string& root_path, DatasetLayout layout) {
  const fs::path root(root_path);
  if (!fs::is_directory(root)) data_error(concat(root_path, ": no such folder"));
  if (layout == DatasetLayout::automatic)
    layout = fs::is_directory(root / "imagesTr") ? DatasetLayout::decathlon : DatasetLayout::hipmri;
  DatasetIndex index =
      layout == DatasetLayout::decathlon ? discover_decathlon(root) : discover_hipmri(root);
  index.root = root_path;
  std::sort(index.cases.begin(), index.cases.end(),
            [](const CasePaths& a, const CasePaths& b) { return a.name < b.name; });
  std::sort(index.unmatched.begin(), index.unmatched.end());
  if (index.cases.empty())
    data_error(concat(root_path, ": no image/label pairs found (looked for ",
                      layout == DatasetLayout::decathlon
                          ? "imagesTr/<case>[_0000].nii.gz with labelsTr/<case>.nii.gz"
                          : "<name>_LFOV.nii.gz with <name>_SEMANTIC_LFOV.nii.gz",
                      ")"));
  return index;
}

LoadedCase load_case(const CasePaths& paths, int num_classes) {
  LoadedCase c;
  c.image = read_nifti(paths.image);
  const NiftiVolume label = read_nifti(paths.label);
  require_volume(paths.image, c.image.geometry);
  check_same_grid(paths.image, c.image.geometry, paths.label, label.geometry);
  c.labels = class_labels(label.values, num_classes > 0 ? num_classes : 256, paths.label);
  return c;
}

void check_same_grid(const std::string& image_path, const NiftiGeometry& image,
                     const std::string& label_path, const NiftiGeometry& label) {
  if (const std::string difference = grid_difference(image, label); !difference.empty())
    data_error(concat(image_path, " and its label ", label_path,
                      " are not on the same grid: ", difference));
}

std::vector<std::uint8_t> class_labels(const std::vector<float>& values, int classes,
                                       const std::string& source) {
  std::vector<std::uint8_t> labels(values.size());
  std::map<float, std::int64_t> bad;  // value -> voxels
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float v = values[i];
    if (v >= 0 && v < static_cast<float>(classes) && v == std::floor(v))
      labels[i] = static_cast<std::uint8_t>(v);
    else
      ++bad[v];
  }
  if (!bad.empty()) {
    std::string list;
    int shown = 0;
    for (const auto& [value, voxels] : bad)
      if (shown++ < 8) list += concat(list.empty() ? "" : ", ", value, " (", voxels, " voxels)");
    data_error(concat(source, ": label values outside the classes [0, ", classes, "): ", list,
                      bad.size() > 8 ? ", ..." : ""));
  }
  return labels;
}

}  // namespace unet3d
