// export: writes a checkpoint's network as an ONNX graph (docs/deployment.md), for runtimes
// outside this project (onnxruntime, TensorRT, OpenVINO).
#include <cstdio>
#include <filesystem>

#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/log.h"
#include "runtime/shared_flags.h"
#include "tools/model/network_text.h"
#include "tools/onnx/onnx_model.h"

namespace {

using namespace unet3d;

constexpr char kSummary[] =
    "Writes the network of a checkpoint as an ONNX graph (opset 17): input 'image' (N, C, D, H,\n"
    "W) float32, output 'logits' (N, classes, D, H, W), the spatial axes and N symbolic, and the\n"
    "checkpoint's metadata (classes, mode, spacing, patch or input size, normalisation,\n"
    "architecture) in the graph's metadata_props. Feed it as predict does: docs/deployment.md.\n"
    "--activation describes a checkpoint without metadata (a PyTorch state_dict).";

void define_flags(Flags& flags) {
  flags.add("checkpoint", "FILE", "the model file (.safetensors) to export");
  flags.add("out", "FILE", "the ONNX file to write (replaced whole if it exists)");
  add_shared_flags(flags, {"activation"});
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "export", kSummary, define_flags, [&](const Flags& flags) {
    if (!flags.given("checkpoint") || !flags.given("out"))
      throw Error(ErrorKind::usage, "--checkpoint and --out are required (see --help)");
    OnnxExport what;
    what.checkpoint = flags.text("checkpoint");
    what.activation = parse_activation(flags.text("activation"), "--activation");
    const std::string out = flags.text("out");
    const std::filesystem::path folder = std::filesystem::path(out).parent_path();
    if (!folder.empty() && !std::filesystem::is_directory(folder))
      throw Error(ErrorKind::usage,
                  concat("--out ", out, ": the folder ", folder.string(), " does not exist"));
    const OnnxSummary s = export_onnx(what, out);
    if (s.info.has_metadata && flags.given("activation"))
      log_warn("--activation is ignored: ", what.checkpoint, " records its own in its metadata");
    const UNetConfig& c = s.info.config;
    std::printf(
        "%s: %s network, %lld -> %lld channels, %lld levels, %s, %s; %zu nodes, %zu "
        "initializers, %zu metadata entries, opset %d\n",
        out.c_str(), c.is_original() ? "the original" : "a configurable",
        static_cast<long long>(c.in_channels), static_cast<long long>(c.num_classes),
        static_cast<long long>(c.depth), norm_word(c.norm), activation_word(c.activation), s.nodes,
        s.initializers, s.metadata.size(), kOnnxOpset);
    return 0;
  });
}
