// Finding a dataset's image/label pairs (docs/data.md): the HipMRI layout (`*_LFOV.nii.gz` with
// `*_SEMANTIC_LFOV.nii.gz`, any sub-folders, patient Case_NNN, one channel) and the Medical
// Segmentation Decathlon / nnU-Net layout (imagesTr/<case>_0000.nii.gz, _0001, ... the channels,
// labelsTr/, dataset.json, patient = case), detected automatically or forced; and loading one
// case's channels and labels, validated.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/nifti.h"

namespace unet3d {

enum class DatasetLayout { automatic, hipmri, decathlon };

// "auto", "hipmri", "msd" or "decathlon"; anything else is a usage Error naming `flag`.
DatasetLayout parse_layout(const std::string& word, const std::string& flag);

struct CasePaths {
  std::string name;                 // file name without .nii/.nii.gz (Decathlon: without _NNNN)
  std::string patient;              // what the split groups by
  std::vector<std::string> images;  // one file per input channel, in channel order
  std::string label;
};

struct DatasetIndex {
  std::string root;
  DatasetLayout layout = DatasetLayout::automatic;
  std::vector<CasePaths> cases;            // sorted by name
  std::vector<std::string> unmatched;      // images without labels, labels without images
  std::vector<std::string> class_names;    // from dataset.json, the HipMRI names, or empty
  std::int64_t channels = 1;               // every case's
  std::vector<std::string> channel_names;  // from dataset.json, or empty
};

// A data Error when `root` holds no dataset of the layout (naming what was looked for).
DatasetIndex discover_dataset(const std::string& root, DatasetLayout layout);

struct LoadedCase {
  NiftiVolume image;
  std::vector<std::uint8_t> labels;  // one per voxel
};

// Reads a case. Its channels must be 3-D (require_volume) and on one grid, the label on theirs
// (check_same_grid); the labels are class_labels(values, num_classes, label file), num_classes 0
// allowing any integer in [0, 255].
LoadedCase load_case(const CasePaths& paths, int num_classes);

// The channel files of one case as one volume of paths.size() channels: each 3-D, all on the
// grid of the first (a data Error naming both files and what differs).
NiftiVolume read_channels(const std::vector<std::string>& paths);

// A data Error naming both files and what differs unless the two are the same grid
// (io/nifti_geometry.h: dimensions, voxel sizes, origin, orientation).
void check_same_grid(const std::string& image_path, const NiftiGeometry& image,
                     const std::string& label_path, const NiftiGeometry& label);

// Label values as classes: integers in [0, classes) (float files holding integers are cast).
// Otherwise a data Error naming `source`, the first bad values and how many voxels hold each.
std::vector<std::uint8_t> class_labels(const std::vector<float>& values, int classes,
                                       const std::string& source);

// A case's name: its file name without .nii/.nii.gz and without a trailing _0000 (the
// Decathlon's first channel's suffix).
std::string case_name(const std::string& path);

// Every case of a Decathlon image folder (imagesTr/, imagesTs/), by name, with its channel files
// in order: <case>_NNNN.nii[.gz] is channel NNNN of <case> where <case>_0000 is there too; any
// other NIfTI file is a one-channel case of its own name. A data Error naming the case and the
// missing file when its channels are not 0, 1, 2, ... without a gap.
std::map<std::string, std::vector<std::string>> channel_files_of(const std::string& dir);

// The class names a dataset.json's "labels" give, by index (the Decathlon's index -> name or
// nnU-Net v2's name -> index); empty when it has none. A data Error for a malformed file.
std::vector<std::string> dataset_json_class_names(const std::string& json_path);

// `names` where they name `classes` classes, else "class_0", "class_1", ...
std::vector<std::string> class_names_or_numbered(const std::vector<std::string>& names,
                                                 int classes);

// The label file of case `name` in folder `dir`: <name>.nii.gz or .nii, or the HipMRI label name
// (_SEMANTIC inserted before _LFOV); a data Error naming the folder and the case if none is there.
std::string label_file_in(const std::string& dir, const std::string& name);

// The HipMRI classes: background, body, bone, bladder, rectum, prostate.
const std::vector<std::string>& hipmri_class_names();

}  // namespace unet3d
