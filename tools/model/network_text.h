// The configurable network's settings as users write them in flags and config.json, and as
// checkpoints keep them in their metadata (docs/formats.md): kernel and pooling sizes as x,y,z
// triples (NIfTI order) separated by ';', one per level; the norm and activation words.
#pragma once

#include <string>
#include <vector>

#include "layers/unet_config.h"

namespace unet3d {

// "3,3,1;3,3,3": the (z, y, x) triples of `sizes` written x,y,z, ';' between them.
std::string sizes_text(const std::vector<Grid>& sizes);
// The triples of such a text ("" gives none); a usage Error naming `what` for anything but
// ';'-separated X,Y,Z triples of positive integers.
std::vector<Grid> sizes_of_text(const std::string& text, const std::string& what);

// Every level's kernel (and the bottleneck's) and pooling as such text, defaults written out.
std::string kernel_sizes_text(const UNetConfig& c);
std::string pool_sizes_text(const UNetConfig& c);

const char* norm_word(NormKind norm);  // "batch", "instance"
NormKind parse_norm(const std::string& word, const std::string& what);
const char* activation_word(Activation activation);  // "relu", "leakyrelu"
Activation parse_activation(const std::string& word, const std::string& what);

}  // namespace unet3d
