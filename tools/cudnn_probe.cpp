// cudnn_probe: for every convolution shape of the default model (and, with --tests, of the GPU
// tests), in f16 and f32, each direction: every algorithm cuDNN's Find times and its heuristics
// list (status, time, workspace, math type, determinism), and what the project chooses, with the
// reason. A layout cuDNN refuses is probed again padded, as training pads it; an error is a row
// of its shape, and the probe goes on. Written as Markdown, one shape at a time, so a run cut
// short keeps what it found.
#include <cstdio>
#include <fstream>
#include <set>
#include <tuple>

#include "layers/conv3d_cudnn.h"
#include "layers/unet3d.h"
#include "runtime/device.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "unet3d/build_config.h"

namespace {

using namespace unet3d;

struct Probe {
  std::string source;
  Shape x, w;
};

// The default model (trainer's defaults, batch 2 at 96^3), and with `tests` first the networks
// and layers the GPU tests run (quick); each distinct convolution once.
std::vector<Probe> probes(bool tests) {
  std::vector<Probe> list;
  const auto add_network = [&](const std::string& source, const UNetConfig& c, std::int64_t batch,
                               std::int64_t size) {
    for (const ConvLayerShape& s : unet3d_conv_shapes(c, batch, size))
      list.push_back({source + " " + s.name, s.x, s.w});
  };
  if (tests) {
    for (const std::int64_t k : {3, 1})  // tests/gpu/test_gpu_layers.cpp
      list.push_back({"parity test", {2, 5, 6, 7, 3}, {13, k, k, k, 3}});
    add_network("GPU training test", {1, 3, 4, 2}, 2, 16);
    add_network("GPU e2e test", {1, 6, 4, 2}, 2, 16);
  }
  add_network("default model", {1, 6, 32, 4}, 2, 96);
  std::vector<Probe> distinct;
  std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                      std::int64_t, std::int64_t, std::int64_t, std::int64_t>>
      seen;
  for (const Probe& p : list)
    if (seen.insert({p.x.n, p.x.d, p.x.h, p.x.w, p.x.c, p.w.n, p.w.d, p.w.h, p.w.w}).second)
      distinct.push_back(p);
  return distinct;
}

// What --help says the tool does (its flags: define_flags).
constexpr char kSummary[] =
    "Lists what cuDNN offers for every convolution the default model runs (and the GPU\n"
    "tests, with --tests), and the algorithm this project chooses for each, as Markdown.\n"
    "A shape cuDNN answers with an error gets an error row; the probe goes on.";

void define_flags(Flags& flags) {
  flags.add("out", "FILE", "write the Markdown here (default: standard output)");
  flags.add_switch("tests", "also the GPU tests' shapes (first)");
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "cudnn_probe", kSummary, define_flags, [&](const Flags& flags) {
    if (!gpu_available())
      throw Error(ErrorKind::runtime,
                  concat("cudnn_probe needs a GPU: ", gpu_unavailable_reason()));
    std::ofstream file;
    if (flags.given("out")) {
      file.open(flags.text("out"));
      if (!file)
        throw Error(ErrorKind::runtime, concat("--out ", flags.text("out"), ": cannot write"));
    }
    const auto emit = [&](const std::string& text) {
      if (file.is_open()) {
        file << text << std::flush;
      } else {
        std::fputs(text.c_str(), stdout);
        std::fflush(stdout);
      }
    };
    emit(concat("# cuDNN probe\n\n", describe_device(Device::cuda), "\n\n"));
    int probed = 0, with_errors = 0;
    for (const Probe& p : probes(flags.on("tests")))
      for (const DType dtype : {DType::f16, DType::f32}) {
        emit(concat("<!-- ", p.source, " -->\n"));
        std::string text;
        if constexpr (kBuiltWithCuda) {
          try {
            text = gpu::conv3d_probe(p.x, p.w, dtype);
          } catch (const Error& e) {  // the probe records what it can; this is what it could not
            text = concat("### ", p.source, " ", dtype_name(dtype), "\n\n**error**: ", e.what(),
                          "\n\n");
          }
        }
        ++probed;
        const bool failed = text.find("| error: ") != std::string::npos ||
                            text.find("**error**") != std::string::npos;
        with_errors += failed ? 1 : 0;
        emit(text);
      }
    const std::string summary =
        concat(probed, " convolutions probed, ", with_errors, " with an error row");
    emit(concat("\n", summary, "\n"));
    std::fprintf(stderr, "%s\n", summary.c_str());
    return 0;
  });
}
