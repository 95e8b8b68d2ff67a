// Dataset discovery for both layouts, and loading a validated image/label pair.
#include "io/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
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

// "<name>_0003.nii.gz" for channel 3.
std::string channel_file_name(const std::string& name, std::size_t channel) {
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "_%04zu.nii.gz", channel);
  return name + suffix;
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

// The names of a dataset.json object in index order: it maps index -> name ({"0": "T2"}), or
// with `name_to_index` name -> index; the indices must be 0, 1, 2, ...
std::vector<std::string> names_by_index(const json::Value& object, bool name_to_index,
                                        const std::string& field, const fs::path& json_path) {
  std::map<std::int64_t, std::string> by_index;
  for (const auto& [key, value] : object.members) {
    if (name_to_index) {
      by_index[value.as_int(concat(json_path.string(), ": ", field, " value"))] = key;
      continue;
    }
    json::Value k;
    k.kind = json::Value::Kind::number;
    k.text = key;
    by_index[k.as_int(concat(json_path.string(), ": ", field, " key"))] = value.text;
  }
  std::vector<std::string> names;
  for (const auto& [index, name] : by_index) {
    if (index != static_cast<std::int64_t>(names.size()))
      data_error(
          concat(json_path.string(), ": the indices of \"", field, "\" are not 0, 1, 2, ..."));
    // Names become metrics.csv columns and report keys: two of one name would collide.
    if (const auto same = std::find(names.begin(), names.end(), name); same != names.end())
      data_error(concat(json_path.string(), ": \"", field, "\" names ", same - names.begin(),
                        " and ", index, " both '", name, "'"));
    names.push_back(name);
  }
  return names;
}

// The "labels" of a parsed dataset.json, by index (empty when it has none).
std::vector<std::string> class_names_in(const json::Value& root, const fs::path& json_path) {
  const json::Value* labels = root.find("labels");
  if (labels == nullptr || !labels->is(json::Value::Kind::object)) return {};
  // The Decathlon maps index -> name; nnU-Net v2 maps name -> index.
  const bool name_to_index =
      !labels->members.empty() && labels->members.front().value.is(json::Value::Kind::number);
  return names_by_index(*labels, name_to_index, "labels", json_path);
}

// What a dataset.json (when there is one) names, after the check of the cases it lists: the
// classes ("labels") and the input channels ("channel_names" of nnU-Net v2, or the Decathlon's
// "modality"), which fix the channel count.
void read_dataset_json(const fs::path& json_path, DatasetIndex& index) {
  if (!fs::exists(json_path)) return;
  const json::Value root = json::parse_file(json_path.string());
  warn_listed_but_missing(root, json_path.parent_path(), json_path);
  index.class_names = class_names_in(root, json_path);
  const char* field = root.find("channel_names") != nullptr ? "channel_names" : "modality";
  if (const json::Value* channels = root.find(field);
      channels != nullptr && channels->is(json::Value::Kind::object))
    index.channel_names = names_by_index(*channels, false, field, json_path);
}

// Every case must have the channels of the first, and as many as dataset.json names.
void check_channel_counts(const DatasetIndex& index, const fs::path& json_path) {
  for (const CasePaths& c : index.cases)
    if (c.images.size() != index.cases.front().images.size())
      data_error(concat("case ", c.name, " has ", c.images.size(), " channel file(s) (",
                        c.images.front(), ", ...) where case ", index.cases.front().name, " has ",
                        index.cases.front().images.size()));
  const std::size_t names = index.channel_names.size();
  if (names != 0 && !index.cases.empty() && names != index.cases.front().images.size())
    data_error(concat(json_path.string(), " names ", names, " channels, but case ",
                      index.cases.front().name, " has ", index.cases.front().images.size(), " (",
                      index.cases.front().images.front(),
                      names > index.cases.front().images.size()
                          ? "): a case's channels are <case>_0000.nii.gz, <case>_0001.nii.gz, ..., "
                            "one 3-D volume each"
                          : ")"));
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
  for (auto& [name, channels] : channel_files_of(images.string())) {
    const auto label = label_files.find(name);
    if (label == label_files.end()) {
      index.unmatched.insert(index.unmatched.end(), channels.begin(), channels.end());
      continue;
    }
    index.cases.push_back({name, name, std::move(channels), label->second});
    label_files.erase(label);
  }
  for (const auto& [name, path] : label_files) index.unmatched.push_back(path);
  const fs::path json_path = root / "dataset.json";
  read_dataset_json(json_path, index);
  check_channel_counts(index, json_path);
  if (!index.cases.empty())
    index.channels = static_cast<std::int64_t>(index.cases.front().images.size());
  return index;
}

DatasetIndex discover_hipmri(const fs::path& root) {
  DatasetIndex index;
  index.layout = DatasetLayout::hipmri;
  std::map<std::string, std::string> labels, images;  // file name without .nii[.gz] -> path
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (!is_nifti(name) || strip_nifti(name).find("_LFOV") == std::string::npos) continue;
    if (e.is_directory()) continue;
    require_regular_file(e.path().string());  // a dangling link or a FIFO is named, not skipped
    const bool label = name.find("_SEMANTIC_") != std::string::npos;
    if (!label && !strip_nifti(name).ends_with("_LFOV")) continue;
    // One case per name: two copies in two sub-folders would be one case picked at random.
    if (const auto [at, added] =
            (label ? labels : images).emplace(strip_nifti(name), e.path().string());
        !added)
      data_error(concat(root.string(), ": ", at->second, " and ", e.path().string(),
                        " are two files of one case (keep one)"));
  }
  static const std::regex patient_pattern("^(Case_[0-9]+)");
  for (const auto& [name, image] : images) {
    std::string label_name = name;
    label_name.insert(name.rfind("_LFOV"), "_SEMANTIC");
    const auto label = labels.find(label_name);
    if (label == labels.end()) {
      index.unmatched.push_back(image);
      continue;
    }
    std::smatch match;
    const std::string patient =
        std::regex_search(name, match, patient_pattern) ? match[1].str() : name;
    index.cases.push_back({name, patient, {image}, label->second});
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

std::map<std::string, std::vector<std::string>> channel_files_of(const std::string& dir) {
  static const std::regex channel_pattern("^(.*)_([0-9]{4})$");
  std::map<std::string, std::string> stems;  // file name without .nii[.gz] -> path
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string file = e.path().filename().string();
    if (!is_nifti(file) || file.starts_with(".")) continue;
    if (const auto [at, added] = stems.emplace(strip_nifti(file), e.path().string()); !added)
      data_error(concat(dir, ": ", at->second, " and ", e.path().string(),
                        " are the same image (keep one)"));
  }
  std::map<std::string, std::map<int, std::string>> channels;  // case -> channel -> path
  for (const auto& [stem, path] : stems) {
    std::smatch match;
    const bool channel_file =
        std::regex_match(stem, match, channel_pattern) && stems.contains(match[1].str() + "_0000");
    const std::string name = channel_file ? match[1].str() : stem;
    const int channel = channel_file ? std::stoi(match[2].str()) : 0;
    if (const auto [at, added] = channels[name].emplace(channel, path); !added)
      data_error(concat(dir, ": ", at->second, " and ", path, " are both channel ", channel,
                        " of case ", name));
  }
  std::map<std::string, std::vector<std::string>> cases;
  for (auto& [name, files] : channels) {
    std::vector<std::string>& list = cases[name];
    for (const auto& [channel, path] : files) {
      if (channel != static_cast<int>(list.size()))
        data_error(concat(dir, ": case ", name, " has channel file ", path, " but no ",
                          channel_file_name(name, list.size()),
                          " (channels are numbered 0, 1, 2, ... without a gap)"));
      list.push_back(path);
    }
  }
  return cases;
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
  for (const CasePaths& c : index.cases) {  // a dangling link or a FIFO, named before any reading
    for (const std::string& image : c.images) require_regular_file(image);
    require_regular_file(c.label);
  }
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
  c.image = read_channels(paths.images);
  const NiftiVolume label = read_nifti(paths.label);
  check_same_grid(paths.images.front(), c.image.geometry, paths.label, label.geometry);
  c.labels = class_labels(label.values, num_classes > 0 ? num_classes : 256, paths.label);
  return c;
}

NiftiVolume read_channels(const std::vector<std::string>& paths) {
  UNET3D_USAGE_CHECK(!paths.empty(), "read_channels: no files");
  NiftiVolume volume = read_nifti(paths.front());
  require_volume(paths.front(), volume.geometry);
  volume.channels = static_cast<std::int64_t>(paths.size());
  volume.values.reserve(volume.values.size() * paths.size());
  for (std::size_t c = 1; c < paths.size(); ++c) {
    const NiftiVolume channel = read_nifti(paths[c]);
    require_volume(paths[c], channel.geometry);
    if (const std::string difference = grid_difference(volume.geometry, channel.geometry);
        !difference.empty())
      data_error(concat(paths[c], " (channel ", c, ") and ", paths.front(),
                        " (channel 0) are not on the same grid: ", difference));
    volume.values.insert(volume.values.end(), channel.values.begin(), channel.values.end());
  }
  return volume;
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

std::vector<std::string> dataset_json_class_names(const std::string& json_path) {
  return class_names_in(json::parse_file(json_path), json_path);
}

}  // namespace unet3d
