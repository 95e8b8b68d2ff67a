// A model file as an ONNX graph (docs/deployment.md): the network of its metadata (or of its
// tensors' shapes) in ONNX operators at opset 17, its tensors as initializers under their own
// names, and its metadata as the model's metadata_props. Built only where Debian's ONNX library
// is found (tools/CMakeLists.txt): everything else builds without it.
#pragma once

#include <map>
#include <string>

#include "tools/model/checkpoint.h"

namespace unet3d {

// The opset the graph declares, and the IR version that goes with it.
inline constexpr int kOnnxOpset = 17;
inline constexpr int kOnnxIrVersion = 8;

struct OnnxExport {
  std::string checkpoint;  // the model file
  // For a model file without metadata (a PyTorch state_dict), whose activation is not in it.
  Activation activation = Activation::relu;
};

// What was written: the graph's operator count and the metadata it carries.
struct OnnxSummary {
  ModelInfo info;
  std::size_t nodes = 0, initializers = 0;
  std::map<std::string, std::string> metadata;
};

// Reads the model file (every check of the checkpoint reader: a data Error names the file),
// builds the graph, checks it with ONNX's own checker (a failure is ours: a runtime Error) and
// writes it atomically to `out` (a runtime Error where it cannot be written).
OnnxSummary export_onnx(const OnnxExport& what, const std::string& out);

}  // namespace unet3d
