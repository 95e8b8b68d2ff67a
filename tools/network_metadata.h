// CONTRACTS' configurable network in a model file (docs/formats.md): §11's metadata keys written
// from a UNetConfig, and read back, or, for a plain PyTorch state_dict, read off its tensors'
// shapes. Whatever is read must describe a valid network; else a data Error naming the file.
#pragma once

#include <map>
#include <string>

#include "io/safetensors.h"
#include "layers/unet_config.h"

namespace unet3d {

// Adds §11's keys for `c` (the original network's files carry none of them).
void write_network_metadata(const UNetConfig& c, std::map<std::string, std::string>& metadata);

// §11's settings from the metadata into `c` (whose in_channels, num_classes, init_features and
// depth are already read); an absent key takes the original network's value. A malformed value
// is a data Error naming the file and the key.
void read_network_metadata(const SafetensorsFile& file, const std::string& path, UNetConfig& c);

// The settings a plain state_dict's shapes show (PyTorch layouts): each level's kernel (its
// conv1) and pooling (its up-convolution), the feature cap, instance norm where a norm keeps no
// running statistics, deep supervision where ds heads exist. The activation is not in a
// state_dict: `c` keeps its own.
void read_network_shapes(const SafetensorsFile& file, const std::string& path, UNetConfig& c);

}  // namespace unet3d
