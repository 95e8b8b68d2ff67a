// bench: checks every op (verify/op_cases.h) against the CPU reference and times it at the
// UNet3D's shapes, then times the training step and the inference forward, all against the
// ceilings measured in the same run (copy bandwidth, a large GEMM).
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <optional>
#include <regex>
#include <sstream>

#include "bench/harness.h"
#include "io/json.h"
#include "io/patch_plan.h"
#include "io/phantom.h"
#include "io/resampled.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "layers/conv3d.h"
#include "layers/conv_algorithm.h"
#include "layers/sliding_window.h"
#include "layers/train_step.h"
#include "layers/window_inference.h"
#include "runtime/atomic_file.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "tools/surface_metrics.h"

namespace {

using namespace unet3d;
using namespace unet3d::bench;

struct Settings {
  Device device = Device::cpu;
  std::int64_t size = 0, features = 0, batch = 0, depth = 4;
  std::string precision_word;
  Precision precision = Precision::f32;
};

Settings settings_of(const Flags& flags) {
  Settings s;
  s.device = parse_device(flags.text("device"));
  const bool gpu = s.device == Device::cuda;
  const auto pick = [&](const char* name, std::int64_t on_gpu, std::int64_t on_cpu) {
    return flags.given(name) ? flags.integer(name) : (gpu ? on_gpu : on_cpu);
  };
  s.size = pick("size", 96, 48), s.features = pick("features", 32, 8),
  s.batch = pick("batch", 2, 1);
  s.depth = flags.integer("depth");
  s.precision_word = flags.given("precision") ? flags.text("precision") : (gpu ? "fp16" : "fp32");
  s.precision = s.precision_word == "fp16" ? Precision::f16 : Precision::f32;
  return s;
}

// FLOPs of one UNet3D forward pass: its Conv3d layers and the transposed convolutions.
double forward_flops(const UNetConfig& c, std::int64_t batch, Grid grid) {
  double f = 0;
  for (const ConvLayerShape& layer : unet3d_conv_shapes(c, batch, grid)) {
    const Shape& w = layer.w;
    f += 2.0 * static_cast<double>(layer.x.numel() / layer.x.c) * static_cast<double>(w.n * w.c) *
         static_cast<double>(w.d * w.h * w.w);
  }
  for (std::int64_t level = 1; level <= c.depth; ++level) {  // up{level}: 2f -> f, 2x2x2
    const double coarse = static_cast<double>(batch * grid.at_level(level + 1).voxels());
    const double features = static_cast<double>(c.init_features << (level - 1));
    f += 2 * coarse * (2 * features) * features * 8;
  }
  return f;
}

// The copy bandwidth (checked like any op) and a large GEMM (the library's own).
void add_ceilings(Harness& h, Device device) {
  const bool gpu = device == Device::cuda;
  const std::int64_t copy_values = std::int64_t{1} << 27;  // 512 MB of f32
  const Shape copy_shape = Shape::vector(copy_values);
  if (h.selected("ceiling copy")) {
    Tensors source;
    source.push_back(random_tensor(copy_shape, DType::f32, 1));
    h.add({"ceiling copy",
           2.0 * static_cast<double>(copy_values) * 4,
           0,
           std::move(source),
           {{copy_shape, DType::f32}},
           [](const Tensors& i, Tensors& o) { copy(i[0], o[0]); },
           {}});
  }
  if (!h.selected("ceiling gemm")) return;
  const std::int64_t m = gpu ? 8192 : 1536;
  const DType gemm_type = gpu ? DType::f16 : DType::f32;
  const Shape square{1, 1, 1, m, m};
  Tensor x = random_tensor(square, gemm_type, 2).to(device),
         y = random_tensor(square, gemm_type, 3).to(device), z(square, gemm_type, device);
  h.add_unchecked(
      "ceiling gemm", 0, 2.0 * static_cast<double>(m * m * m),
      [&] {
        gemm(device, {m, m, m, gemm_type, gemm_type}, 1.0, {x.data(), false}, {y.data(), false},
             0.0, z.data());
      },
      gpu ? "cuBLAS, the ceiling itself" : "OpenBLAS, the ceiling itself");
}

// Patch mode's inference: a phantom of 256x256x128 (HipMRI's grid) at its own spacing through
// the sliding window (overlap 0.5) of a network on the default patch (at most size^3 voxels).
void add_sliding_window(Harness& h, const Settings& s, const UNetConfig& config) {
  const Grid grid{128, 256, 256};
  const Grid patch = default_patch({grid}, s.depth, s.size);
  const std::string name = "sliding window 256x256x128, patch " + xyz_text(patch);
  if (!h.selected(name)) return;
  const Phantom phantom = make_phantom(phantom_cases(1, 7)[0], 256, 256, 128, 7);
  const std::vector<float> volume =
      resampled_image(phantom.image_volume(), spacing_of(phantom.geometry), Device::cpu, "phantom");
  UNet3D net(config, s.device, s.precision, s.batch, patch);
  net.parameters().initialize(2);
  const auto windows = static_cast<std::int64_t>(window_starts(grid.d, patch.d, 0.5).size() *
                                                 window_starts(grid.h, patch.h, 0.5).size() *
                                                 window_starts(grid.w, patch.w, 0.5).size());
  const std::int64_t passes = (windows + s.batch - 1) / s.batch;
  h.add_unchecked(
      name, 0, static_cast<double>(passes) * forward_flops(config, s.batch, patch),
      [&] {
        window_probabilities(net, volume, grid, {0.5, false});
      },
      concat(windows, " windows; tests/cpu/test_sliding_window.cpp: MONAI's figures"));
}

// The table and the JSON, against the ceilings of this run.
// Every surface metric of every class of a phantom's 256x256x128 label map against the same map
// moved one voxel along x (host code on any device: the target is under 1 s on 2 cores).
void add_surface_metrics(Harness& h) {
  const std::string name = "surface metrics (256x256x128, 6 classes)";
  if (!h.selected(name)) return;
  const Phantom truth = make_phantom(phantom_cases(1, 7)[0], 256, 256, 128, 7);
  const Grid3 g{256, 256, 128, truth.geometry.dx, truth.geometry.dy, truth.geometry.dz};
  std::vector<std::uint8_t> pred(truth.labels.size(), 0);
  for (std::size_t i = 1; i < pred.size(); ++i) pred[i] = truth.labels[i - 1];
  h.add_unchecked(
      name, 0, 0,
      [&] {
        for (int c = 0; c < 6; ++c)
          class_surface_scores(pred.data(), truth.labels.data(), g, c, 2.0);
      },
      "tests/cpu/test_surface_metrics.cpp: closed forms and brute force");
}

// A child process that keeps one core busy for as long as this object lives.
class BusyNeighbour {
 public:
  BusyNeighbour() : pid_(::fork()) {
    if (pid_ == 0) {
      volatile std::uint64_t spin = 0;
      for (;;) spin = spin + 1;
    }
  }
  ~BusyNeighbour() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  BusyNeighbour(const BusyNeighbour&) = delete;
  BusyNeighbour& operator=(const BusyNeighbour&) = delete;

 private:
  pid_t pid_;
};

// A JSON number, or null for a figure not measured (NaN is not JSON).
std::string json_number(double v) {
  return std::isfinite(v) ? concat(v) : "null";
}

void report(const Harness& h, const Settings& s, double step_flops, double peak,
            std::int64_t params, AtomicFile* json_file, bool deterministic) {
  double copy_bw = 0, gemm_rate = 0, step_ms = NAN, loaded_ms = NAN;
  for (const Result& r : h.results()) {
    if (r.name == "ceiling copy" && r.ms > 0) copy_bw = r.bytes / (r.ms * 1e-3);
    if (r.name == "ceiling gemm" && r.ms > 0) gemm_rate = r.flops / (r.ms * 1e-3);
    if (r.name == "training step") step_ms = r.ms;
    if (r.name == "training step beside a busy process") loaded_ms = r.ms;
  }
  std::printf("%-36s %10s %9s %11s %8s %8s %6s  %s\n", "case", "ms", "GB/s", "GFLOP/s", "%copy",
              "%gemm", "copies", "check");
  std::string json = "[";
  for (const Result& r : h.results()) {
    const double gbs = r.timed && r.bytes > 0 ? r.bytes / (r.ms * 1e-3) / 1e9 : NAN;
    const double gflops = r.timed && r.flops > 0 ? r.flops / (r.ms * 1e-3) / 1e9 : NAN;
    const double of_copy = copy_bw > 0 ? 100 * gbs * 1e9 / copy_bw : NAN;
    const double of_gemm = gemm_rate > 0 ? 100 * gflops * 1e9 / gemm_rate : NAN;
    if (r.timed)
      std::printf("%-36s %10.3f %9.1f %11.1f %8.1f %8.1f %6d  %s\n", r.name.c_str(), r.ms, gbs,
                  gflops, of_copy, of_gemm, r.copies, r.check.c_str());
    else
      std::printf("%-36s %10s  MISMATCH against the CPU reference (above); not timed\n",
                  r.name.c_str(), "refused");
    json += concat(json.size() > 1 ? ",\n" : "\n", " {\"name\": ", json::quote(r.name),
                   ", \"timed\": ", r.timed ? "true" : "false",
                   ", \"ms\": ", r.timed ? concat(r.ms) : "null", ", \"bytes\": ", r.bytes,
                   ", \"flops\": ", r.flops, ", \"copies\": ", r.copies,
                   ", \"check\": ", json::quote(r.check), "}");
  }
  std::printf(
      "\ntraining step: %.3f volumes/s, model FLOP utilisation %.1f %% of the GEMM ceiling, "
      "peak %s memory %.1f MB, %lld parameters\n",
      static_cast<double>(s.batch) / (step_ms * 1e-3),
      gemm_rate > 0 ? 100 * step_flops / (step_ms * 1e-3) / gemm_rate : NAN, device_name(s.device),
      peak / 1e6, static_cast<long long>(params));
  if (std::isfinite(loaded_ms))
    std::printf("beside a busy process the step takes %.2fx its time alone\n", loaded_ms / step_ms);
  if (json_file == nullptr) return;
  std::ostringstream out;
  out << "{\"device\": \"" << describe_device(s.device) << "\", \"precision\": \""
      << s.precision_word << "\", \"size\": " << s.size << ", \"features\": " << s.features
      << ", \"batch\": " << s.batch << ", \"deterministic\": " << (deterministic ? "true" : "false")
      << ", \"training_step_ms\": " << json_number(step_ms)
      << ", \"loaded_step_ratio\": " << json_number(loaded_ms / step_ms)
      << ", \"peak_memory_bytes\": " << peak << ", \"cases\": " << json << "\n]\n}\n";
  const std::string text = out.str();
  json_file->write(text.data(), text.size());
  json_file->commit();
}

// The flags a Harness cannot check itself, refused before anything is measured.
void check_flags(const Flags& flags) {
  if (!(flags.number("seconds") > 0))
    throw Error(ErrorKind::usage,
                concat("--seconds ", flags.text("seconds"), ": must be a positive time"));
  try {
    std::regex pattern(flags.text("filter"));
  } catch (const std::regex_error& e) {
    throw Error(ErrorKind::usage, concat("--filter '", flags.text("filter"),
                                         "': not a regular expression (", e.what(), ")"));
  }
}

// What --help says the tool does (its flags: define_flags).
constexpr char kSummary[] =
    "Times kernels, convolutions, the training step and inference against the\n"
    "card's (or CPU's) measured copy bandwidth and GEMM rate.";

void define_flags(Flags& flags) {
  flags.add("device", "auto|cuda|cpu", "backend to measure", "auto");
  flags.add("size", "S", "volume side (default 96 on a GPU, 48 on the CPU)");
  flags.add("features", "F", "init_features (default 32 on a GPU, 8 on the CPU)");
  flags.add("batch", "B", "batch (default 2 on a GPU, 1 on the CPU)");
  flags.add("depth", "D", "depth", "4");
  flags.add("precision", "fp16|fp32", "(default fp16 on a GPU, fp32 on the CPU)");
  flags.add("filter", "PATTERN", "only cases whose name matches this regular expression", ".");
  flags.add("seconds", "T", "time each case for at least this long", "1");
  flags.add("json", "FILE", "also write every figure as JSON");
  flags.add_switch("deterministic",
                   "CUDA: deterministic cuDNN algorithms only, chosen without timing");
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "bench", kSummary, define_flags, [&](const Flags& flags) {
    check_flags(flags);
    const Settings s = settings_of(flags);
    // Made now, so that an unwritable --json fails before the measurements, not after them.
    std::optional<AtomicFile> json_file;
    if (flags.given("json")) json_file.emplace(flags.text("json"));
    set_deterministic_convolutions(flags.on("deterministic"));
    Harness h(s.device, flags.text("filter"), flags.number("seconds"));
    std::fprintf(stderr,
                 "bench on %s, %s, size %lld, features %lld, batch %lld; operands rotated "
                 "through %.0f MB\n",
                 describe_device(s.device).c_str(), s.precision_word.c_str(),
                 static_cast<long long>(s.size), static_cast<long long>(s.features),
                 static_cast<long long>(s.batch), static_cast<double>(h.rotation_bytes()) / 1e6);

    // The whole network first, so that the peak memory is the network's: a training step
    // (forward, Dice loss, backward, Adam) and inference.
    const UNetConfig config{1, 6, s.features, s.depth};
    UNet3D net(config, s.device, s.precision, s.batch, s.size);
    net.parameters().initialize(1);
    Optimizer adam(net.parameters(), {});
    LossScaler scaler(s.precision == Precision::f16);
    TrainingStep step(net, adam, scaler, {LossKind::dice}, nullptr, 1);
    Tensor input = net.input();
    fill_uniform(input, 14, -1.0f, 1.0f);
    Tensor labels = step.labels();
    fill(labels, 2.0);
    const double step_flops = 3 * forward_flops(config, s.batch, Grid::cube(s.size));
    const std::string vouched_by =
        s.device == Device::cuda ? "its ops, above; a whole step vs the CPU: unet3d_gpu_tests"
                                 : "its ops, above; the whole network's gradients: unet3d_tests";
    const auto train_once = [&] {
      step.micro_batch();
      step.apply();
    };
    h.add_unchecked("training step", 0, step_flops, train_once, vouched_by);
    // On a shared machine: the same step while another process keeps one core busy.
    if (s.device == Device::cpu && h.selected("training step beside a busy process")) {
      const BusyNeighbour neighbour;
      h.add_unchecked("training step beside a busy process", 0, step_flops, train_once,
                      "the training step's ops, with one core taken by another process");
    }
    h.add_unchecked(
        "inference forward", 0, forward_flops(config, s.batch, Grid::cube(s.size)),
        [&] { net.forward(false); }, vouched_by);
    if (const std::string planning = conv_planning_report(); !planning.empty())
      std::fprintf(stderr, "%s\n", planning.c_str());
    // Read before the ops' cases allocate their operands.
    const double peak = static_cast<double>(memory_stats().peak_bytes[static_cast<int>(s.device)]);

    add_ceilings(h, s.device);
    const OpShapes shapes{{s.batch, s.size, s.size, s.size, 1},
                          s.features,
                          config.num_classes,
                          net.parameters().parameter_count(),
                          activation_dtype(s.precision),
                          master_dtype(s.precision)};
    for (const OpDescription& d : op_descriptions())
      if (h.selected(d.name)) h.add(d.make(shapes));
    add_surface_metrics(h);
    add_sliding_window(h, s, config);
    report(h, s, step_flops, peak, net.parameters().parameter_count(),
           json_file ? &*json_file : nullptr, flags.on("deterministic"));
    if (h.refused() > 0)
      throw Error(ErrorKind::runtime, concat(h.refused(),
                                             " case(s) did not match the CPU reference "
                                             "and were not timed"));
    return 0;
  });
}
