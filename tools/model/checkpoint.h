// UNet3D checkpoints as docs/formats.md promises: the model file (PyTorch names and layouts, F32,
// num_batches_tracked as I64, metadata), which torch's load_state_dict(strict=True) accepts,
// and the training-state file beside it (the optimizer's state, step counts, loss scale, and
// whatever the trainer adds: RNG and data order). Both carry the same `step`, so a mismatched pair
// is found.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/normalization.h"
#include "io/patch_plan.h"
#include "io/safetensors.h"
#include "layers/optimizer.h"
#include "layers/unet3d.h"

namespace unet3d {

// Resize mode (the original's) trains on whole volumes resized to input_size^3; patch mode on
// patches of `patch` voxels cut from volumes resampled to `spacing`.
enum class InputMode { resize, patch };

struct ModelInfo {
  UNetConfig config;
  std::int64_t input_size = 0;  // resize mode; 0: unknown (a file without metadata)
  std::int64_t epoch = 0;       // epochs completed
  std::int64_t step = 0;        // optimizer steps taken
  std::vector<std::string> class_names;
  bool has_metadata = false;
  InputMode mode = InputMode::resize;  // a file without `mode` is resize mode
  Spacing spacing{};                   // patch mode: mm along (z, y, x)
  Grid patch{0, 0, 0};                 // patch mode: the network's input grid
  Normalization normalization{};       // each input channel's (empty: z-scored per volume)
};

void save_model(const std::string& path, UNet3D& net, const ModelInfo& info);

// The metadata that describes the network of `c` with its input's `normalization` in a model file:
// format, the four numbers and the configurable network's keys (docs/formats.md); save_model adds
// the counters, mode and class names.
std::map<std::string, std::string> network_metadata(const UNetConfig& c,
                                                    const Normalization& normalization);

// The configuration and counters of a model file, from its metadata or, for a plain PyTorch
// state_dict, from its tensor shapes.
ModelInfo read_model_info(const std::string& path);
// The same of a file already read from `path`.
ModelInfo read_model_info(const SafetensorsFile& file, const std::string& path);

// Every tensor of `specs` (the network's parameters and buffers, unet3d_parameter_specs) is in
// `file` as F32 in PyTorch's layout, with each BatchNorm's I64 num_batches_tracked, and nothing
// else is; else a data Error naming the file and the tensor.
void check_model_tensors(const SafetensorsFile& file, const std::string& path,
                         const std::vector<ParameterSpec>& specs);

// Loads a model file into `net`. A file whose configuration differs from the network's is a
// usage Error; a missing or extra tensor, a wrong shape or dtype, a truncated or malformed file
// is a data Error naming the file and the tensor.
ModelInfo load_model(const std::string& path, UNet3D& net);

// What load_matching_tensors took from a model file. Each entry names a tensor of the model file
// as save_model writes them (num_batches_tracked included) with its PyTorch shape.
struct TensorMatch {
  ModelInfo info;                       // the file's, as read_model_info reads it
  std::vector<std::string> loaded;      // "enc1.conv1.weight"
  std::vector<std::string> kept_fresh;  // "head.weight [3,4,1,1,1] (checkpoint [6,4,1,1,1])"
  std::vector<std::string> not_used;    // the file's tensors this network has no name for
  std::size_t network_tensors() const { return loaded.size() + kept_fresh.size(); }
};

// Fine-tuning: loads into `net` every tensor of the model file at `path` whose name, dtype and
// shape are the network's, and leaves the others as they are; nothing else of the two needs to
// agree. The file is read and checked as load_model reads it (a data Error for a corrupt file).
TensorMatch load_matching_tensors(const std::string& path, UNet3D& net);

struct TrainingState {
  std::int64_t step = 0;                     // must equal the model file's
  std::map<std::string, std::string> extra;  // the trainer's own (RNG, data order)
};

void save_training_state(const std::string& path, Optimizer& optimizer, LossScaler& scaler,
                         const TrainingState& state);
// Restores the optimizer's state (its kind must be the saved one), its step count and the
// scaler; the state's step must be
// `expected_step` (the model file's), else a data Error.
TrainingState load_training_state(const std::string& path, Optimizer& optimizer, LossScaler& scaler,
                                  std::int64_t expected_step);

}  // namespace unet3d
