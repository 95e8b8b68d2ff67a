// predict's inputs: the cases --input names, each case's channel files and label file, checked
// before anything is written.
#pragma once

#include <string>
#include <vector>

#include "runtime/flags.h"
#include "tools/model/checkpoint.h"

namespace unet3d {

// One case to segment: its channel files in order, the name its results take, its label file.
struct InputCase {
  std::string name;
  std::vector<std::string> channels;
  std::string label;  // "" without --labels
};

// The cases of --input, in the order given: each value a file, channel files joined by commas,
// or a folder of the Decathlon layout (every case in it, its channels <case>_0000, _0001, ...).
std::vector<InputCase> input_cases(const Flags& flags);

// Every check that needs no network, made before anything is written: one output name per case,
// every channel a readable 3-D volume on its case's grid, every label readable and on that grid
// (headers only). Returns the cases with their label files.
std::vector<InputCase> checked_inputs(const Flags& flags);

// Every case must have the channels the models take (they agree: Segmenter checks).
void check_channels(const std::vector<InputCase>& cases, const ModelInfo& model,
                    const std::string& checkpoint);

// Every label of `cases` within the model's `classes` (each label file read whole).
void check_label_values(const std::vector<InputCase>& cases, int classes);

}  // namespace unet3d
