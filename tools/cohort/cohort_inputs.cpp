// predict's inputs and their checks.
#include "tools/cohort/cohort_inputs.h"

#include <filesystem>
#include <map>

#include "io/dataset.h"
#include "io/nifti.h"
#include "io/nifti_geometry.h"
#include "runtime/error.h"

namespace unet3d {

namespace fs = std::filesystem;

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

void check_label_values(const std::vector<InputCase>& cases, int classes) {
  for (const InputCase& input : cases)
    class_labels(read_nifti(input.label).values, classes, input.label);
}

}  // namespace unet3d
