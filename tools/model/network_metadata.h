// CONTRACTS' configurable network in a model file (docs/formats.md): §11's metadata keys written
// from a UNetConfig, and read back, or, for a plain PyTorch state_dict, read off its tensors'
// shapes. Whatever is read must describe a valid network; else a data Error naming the file.
#pragma once

#include <map>
#include <string>

#include "io/normalization.h"
#include "io/safetensors.h"
#include "layers/unet_config.h"

namespace unet3d {

// Whether a model file of `c` with `normalization` is the original network's, which carries none
// of §11's keys (format unet3d-v1).
bool is_original_model(const UNetConfig& c, const Normalization& normalization);

// Adds §11's keys for `c` and its input's `normalization` unless is_original_model.
void write_network_metadata(const UNetConfig& c, const Normalization& normalization,
                            std::map<std::string, std::string>& metadata);

// §11's settings from the metadata into `c` (whose in_channels, num_classes, init_features and
// depth are already read) and `normalization`; an absent key takes the original network's value.
// A malformed value is a data Error naming the file and the key.
void read_network_metadata(const SafetensorsFile& file, const std::string& path, UNetConfig& c,
                           Normalization& normalization);

// The settings a plain state_dict's shapes show (PyTorch layouts): each level's kernel (its
// conv1) and pooling (its up-convolution), the feature cap, instance norm where a norm keeps no
// running statistics, deep supervision where ds heads exist. The activation is not in a
// state_dict: `c` keeps its own.
void read_network_shapes(const SafetensorsFile& file, const std::string& path, UNetConfig& c);

}  // namespace unet3d
