// bench: times the training step and the inference forward, then checks every op
// (verify/op_cases.h) against the CPU reference at a small size and times it at the UNet3D's
// shapes, all against the ceilings measured in the same run (copy bandwidth, a large GEMM).
// --max-seconds bounds the whole run; the JSON is rewritten after every case.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <regex>

#include "bench/harness.h"
#include "bench/report.h"
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
#include "runtime/shared_flags.h"
#include "scoring/surface_metrics.h"

namespace {

using namespace unet3d;
using namespace unet3d::bench;

struct Settings {
  Device device = Device::cpu;
  std::int64_t size = 0, features = 0, batch = 0, depth = 4;
  std::string precision_word;
  Precision precision = Precision::f32;
  double max_seconds = 0;
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
  s.precision = resolve_precision(parse_precision_choice(flags.text("precision")), s.device);
  s.precision_word = precision_word(s.precision);
  s.max_seconds = flags.given("max-seconds") ? flags.number("max-seconds") : INFINITY;
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

// Builds a case's state on its first (untimed, warm-up) run, so that a case the time limit
// leaves out builds nothing.
template <class State, class Prepare, class Run>
std::function<void()> on_first_run(Prepare prepare, Run run) {
  auto state = std::make_shared<std::unique_ptr<State>>();
  return [=] {
    if (!*state) *state = prepare();
    run(**state);
  };
}

// A copy of `values` f32 values, the bandwidth ceiling's operation.
OpCase copy_case(std::int64_t values) {
  const Shape shape = Shape::vector(values);
  Tensors source;
  source.push_back(random_tensor(shape, DType::f32, 1));
  return {"ceiling copy",
          2.0 * static_cast<double>(values) * 4,
          0,
          std::move(source),
          {{shape, DType::f32}},
          [](const Tensors& i, Tensors& o) {
            copy({i[0], o[0]});
          },
          {}};
}

// The copy bandwidth (checked like any op, at a small size) and a large GEMM (the library's own).
void add_ceilings(Harness& h, Device device) {
  const bool gpu = device == Device::cuda;
  if (h.selected("ceiling copy"))
    h.add(copy_case(65537), [] { return copy_case(std::int64_t{1} << 27); });  // 512 MB
  const std::int64_t m = gpu ? 8192 : 1536;
  const DType gemm_type = gpu ? DType::f16 : DType::f32;
  struct Operands {
    Tensor x, y, z;
  };
  const auto prepare = [=] {
    const Shape square{1, 1, 1, m, m};
    return std::make_unique<Operands>(Operands{random_tensor(square, gemm_type, 2).to(device),
                                               random_tensor(square, gemm_type, 3).to(device),
                                               Tensor(square, gemm_type, device)});
  };
  h.add_unchecked("ceiling gemm", 0, 2.0 * static_cast<double>(m * m * m),
                  on_first_run<Operands>(prepare,
                                         [=](Operands& o) {
                                           gemm(device, {m, m, m, gemm_type, gemm_type}, 1.0,
                                                {o.x.data(), false}, {o.y.data(), false}, 0.0,
                                                o.z.data());
                                         }),
                  gpu ? "cuBLAS, the ceiling itself" : "OpenBLAS, the ceiling itself");
}

// Patch mode's inference: a phantom of 256x256x128 (HipMRI's grid) at its own spacing through
// the sliding window (overlap 0.5) of a network on the default patch (at most size^3 voxels).
void add_sliding_window(Harness& h, const Settings& s, const UNetConfig& config) {
  const Grid grid{128, 256, 256};
  const Grid patch = default_patch({grid}, config.total_pool(), s.size);
  const auto windows = static_cast<std::int64_t>(window_starts(grid.d, patch.d, 0.5).size() *
                                                 window_starts(grid.h, patch.h, 0.5).size() *
                                                 window_starts(grid.w, patch.w, 0.5).size());
  const std::int64_t passes = (windows + s.batch - 1) / s.batch;
  struct Window {
    std::vector<float> volume;
    UNet3D net;
    Window(std::vector<float> v, const UNetConfig& c, const Settings& s, Grid patch)
        : volume(std::move(v)), net(c, s.device, s.precision, s.batch, patch) {
      net.parameters().initialize(2);
    }
  };
  const auto prepare = [=] {
    const Phantom phantom = make_phantom(phantom_cases(1, 7)[0], 256, 256, 128, 7);
    return std::make_unique<Window>(
        resampled_image(phantom.image_volume(), spacing_of(phantom.geometry), Device::cpu,
                        "phantom"),
        config, s, patch);
  };
  h.add_unchecked("sliding window 256x256x128, patch " + xyz_text(patch), 0,
                  static_cast<double>(passes) * forward_flops(config, s.batch, patch),
                  on_first_run<Window>(prepare,
                                       [=](Window& w) {
                                         window_probabilities(w.net, w.volume, grid, {0.5, false});
                                       }),
                  concat(windows, " windows; tests/cpu/test_sliding_window.cpp: MONAI's figures"));
}

// Every surface metric of every class of a phantom's 256x256x128 label map against the same map
// moved one voxel along x (host code on any device: the target is under 1 s on 2 cores).
void add_surface_metrics(Harness& h) {
  struct Maps {
    Phantom truth;
    std::vector<std::uint8_t> pred;
  };
  const auto prepare = [] {
    auto m =
        std::make_unique<Maps>(Maps{make_phantom(phantom_cases(1, 7)[0], 256, 256, 128, 7), {}});
    m->pred.assign(m->truth.labels.size(), 0);
    for (std::size_t i = 1; i < m->pred.size(); ++i) m->pred[i] = m->truth.labels[i - 1];
    return m;
  };
  h.add_unchecked(
      "surface metrics (256x256x128, 6 classes)", 0, 0,
      on_first_run<Maps>(
          prepare,
          [](Maps& m) {
            const Grid3 g{
                256, 256, 128, m.truth.geometry.dx, m.truth.geometry.dy, m.truth.geometry.dz};
            for (int c = 0; c < 6; ++c)
              class_surface_scores(m.pred.data(), m.truth.labels.data(), g, c, 2.0);
          }),
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

// The flags a Harness cannot check itself, refused before anything is measured.
void check_flags(const Flags& flags) {
  for (const char* name : {"seconds", "max-seconds"})
    if (flags.given(name) && !(flags.number(name) > 0))
      throw Error(ErrorKind::usage,
                  concat("--", name, " ", flags.text(name), ": must be a positive time"));
  parse_precision_choice(flags.text("precision"));
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
  add_shared_flags(flags, {"device", "threads"});
  flags.add("size", "S", "volume side (default 96 on a GPU, 48 on the CPU)");
  flags.add("features", "F", "init_features (default 32 on a GPU, 8 on the CPU)");
  flags.add("batch", "B", "batch (default 2 on a GPU, 1 on the CPU)");
  add_shared_flags(flags, {"depth", "precision"});
  flags.add("filter", "PATTERN", "only cases whose name matches this regular expression", ".");
  flags.add("seconds", "T", "time each case for at least this long", "1");
  flags.add("max-seconds", "T",
            "the whole run's limit: cases that would start later are reported \"not run\"");
  flags.add("json", "FILE", "also write every figure as JSON (rewritten after every case)");
  add_shared_flags(flags, {"deterministic"});
}

// The op cases' small size for their checks: the model's features, classes and dtypes on a
// grid of 8x10x12 (even, as the level below needs, and cheap for an f64 reference) and at most
// 65,537 parameters.
OpShapes check_shapes(const OpShapes& full) {
  OpShapes small = full;
  small.grid = {full.grid.n, 8, 10, 12, 1};
  small.parameters = std::min<std::int64_t>(full.parameters, 65537);
  return small;
}

// A training step (forward, Dice loss, backward, Adam) and inference of the whole network; sets
// facts' parameter count and step FLOPs.
void add_network_cases(Harness& h, const Settings& s, const UNetConfig& config, RunFacts& facts) {
  UNet3D net(config, s.device, s.precision, s.batch, s.size);
  net.parameters().initialize(1);
  facts.parameters = static_cast<long long>(net.parameters().parameter_count());
  Optimizer adam(net.parameters(), {});
  LossScaler scaler(s.precision == Precision::f16, s.device);
  TrainingStep step(net, adam, scaler, {LossKind::dice}, nullptr, 1);
  Tensor input = net.input();
  fill_uniform({input, 14, -1.0f, 1.0f});
  Tensor labels = step.labels();
  fill({labels, 2.0});
  facts.step_flops = 3 * forward_flops(config, s.batch, Grid::cube(s.size));
  const std::string vouched_by =
      s.device == Device::cuda ? "its ops, below; a whole step vs the CPU: unet3d_gpu_tests"
                               : "its ops, below; the whole network's gradients: unet3d_tests";
  const auto train_once = [&] {
    step.micro_batch();
    step.apply();
  };
  h.add_unchecked("training step", 0, facts.step_flops, train_once, vouched_by);
  // On a shared machine: the same step while another process keeps one core busy.
  if (s.device == Device::cpu && h.selected("training step beside a busy process") &&
      !h.out_of_time()) {
    const BusyNeighbour neighbour;
    h.add_unchecked("training step beside a busy process", 0, facts.step_flops, train_once,
                    "the training step's ops, with one core taken by another process");
  }
  // Unfolded as the trainer's validation runs it, then folded as predict runs it (the logits
  // agree: unet3d_tests "[folding]").
  const double forward = forward_flops(config, s.batch, Grid::cube(s.size));
  h.add_unchecked(
      "inference forward unfolded", 0, forward, [&] { net.forward(false); }, vouched_by);
  net.fold_batchnorm();
  h.add_unchecked(
      "inference forward", 0, forward, [&] { net.forward(false); }, vouched_by);
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "bench", kSummary, define_flags, [&](const Flags& flags) {
    check_flags(flags);
    apply_thread_count(flags);
    const Settings s = settings_of(flags);
    set_deterministic_convolutions(flags.on("deterministic"));
    Harness h(s.device, flags.text("filter"), flags.number("seconds"), s.max_seconds);
    RunFacts facts{describe_device(s.device),
                   s.precision_word,
                   s.size,
                   s.features,
                   s.batch,
                   flags.on("deterministic"),
                   s.max_seconds,
                   0,
                   NAN,
                   0,
                   false};
    // Written now (so that an unwritable --json fails before the measurements) and after every
    // case (so that a run cut short leaves what it measured).
    const auto write_json = [&] {
      if (flags.given("json"))
        write_file_atomically(flags.text("json"), report_json(h.results(), facts));
    };
    write_json();
    h.on_result([&](const Result&) { write_json(); });
    std::fprintf(
        stderr,
        "bench on %s, %s, size %lld, features %lld, batch %lld; operands rotated "
        "through %.0f MB%s\n",
        facts.device.c_str(), s.precision_word.c_str(), static_cast<long long>(s.size),
        static_cast<long long>(s.features), static_cast<long long>(s.batch),
        static_cast<double>(h.rotation_bytes()) / 1e6,
        std::isfinite(s.max_seconds) ? concat("; at most ", s.max_seconds, " s").c_str() : "");

    // The whole network first, so that the peak memory is the network's.
    const UNetConfig config{1, 6, s.features, s.depth};
    add_network_cases(h, s, config, facts);
    if (const std::string planning = conv_planning_report(); !planning.empty())
      std::fprintf(stderr, "%s\n", planning.c_str());
    // Read before the ops' cases allocate their operands.
    facts.peak_memory_bytes =
        static_cast<double>(memory_stats().peak_bytes[static_cast<int>(s.device)]);
    write_json();

    add_ceilings(h, s.device);
    const OpShapes shapes{{s.batch, s.size, s.size, s.size, 1},
                          s.features,
                          config.num_classes,
                          static_cast<std::int64_t>(facts.parameters),
                          activation_dtype(s.precision),
                          master_dtype(s.precision)};
    for (const OpDescription& d : op_descriptions())
      if (h.selected(d.name)) h.add(d.make(check_shapes(shapes)), [&] { return d.make(shapes); });
    add_surface_metrics(h);
    add_sliding_window(h, s, config);
    facts.complete = true;
    write_json();
    // Before the report, whose figures would be NaN for cases that never ran.
    if (h.results().empty())
      throw Error(ErrorKind::usage,
                  concat("--filter '", flags.text("filter"), "' matches no case"));
    print_report(h.results(), facts);
    if (h.refused() > 0)
      throw Error(ErrorKind::runtime, concat(h.refused(),
                                             " case(s) did not match the CPU reference "
                                             "and were not timed"));
    return 0;
  });
}
