// bench: times the hand-written kernels, the cuDNN/BLAS convolutions, the training step and
// the inference forward at the UNet3D's shapes, against the ceilings measured in the same run
// (copy bandwidth, a large GEMM). Medians after warm-up. On the CPU backend the kernels are the
// reference; CUDA kernels are checked against it by the parity tests (unet3d_gpu_tests).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <regex>

#include "kernels/batchnorm.h"
#include "kernels/channels.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/loss.h"
#include "kernels/pool.h"
#include "kernels/softmax.h"
#include "layers/conv3d.h"
#include "layers/conv_transpose3d.h"
#include "layers/train_step.h"
#include "runtime/error.h"
#include "runtime/gpu_runtime.h"
#include "tools/flags.h"
#include "unet3d/build_config.h"

namespace {

using namespace unet3d;

struct Result {
  std::string name;
  double ms = 0, bytes = 0, flops = 0;
  std::string check;  // "reference" on the CPU; on CUDA "ok" when checked, else why not
};

struct Bench {
  Device device;
  std::regex filter;
  double min_seconds;
  std::vector<Result> results;

  double time_once(const std::function<void()>& run) const {
    if (device == Device::cuda) {
      if constexpr (kBuiltWithCuda) return gpu::time_ms(run);
    }
    const auto t0 = std::chrono::steady_clock::now();
    run();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  // Times `run` (median of at least 5 repetitions, more while under min_seconds) after 2 warm-ups.
  void add(const std::string& name, double bytes, double flops, const std::function<void()>& run,
           const std::function<std::string()>& check = {}) {
    if (!std::regex_search(name, filter)) return;
    // The parity tests check every CUDA kernel against the CPU; a case with its own check is
    // timed only if it passes.
    Result r{name, 0, bytes, flops, device == Device::cpu ? "reference" : "parity-tested"};
    if (check) {
      r.check = check();
      if (r.check != "ok") {
        results.push_back(r);
        return;
      }
    }
    for (int i = 0; i < 2; ++i) time_once(run);
    std::vector<double> times;
    double total = 0;
    while (times.size() < 5 || (total < min_seconds * 1000 && times.size() < 200)) {
      times.push_back(time_once(run));
      total += times.back();
    }
    std::nth_element(times.begin(), times.begin() + static_cast<long>(times.size() / 2),
                     times.end());
    r.ms = times[times.size() / 2];
    results.push_back(r);
    std::fprintf(stderr, "  %s: %.3f ms\n", name.c_str(), r.ms);
  }
};

Tensor random(Shape s, DType t, Device d, std::uint64_t seed) {
  Tensor x(s, t, d);
  fill_uniform(x, seed, -1.0f, 1.0f);
  return x;
}

// FLOPs of one UNet3D forward pass (convolutions, transposed convolutions, head) at the shapes.
double forward_flops(const UNetConfig& c, std::int64_t batch, std::int64_t size) {
  double f = 0;
  const auto conv = [&](double voxels, double cin, double cout, double k) {
    f += 2 * voxels * cin * cout * k * k * k;
  };
  double cin = static_cast<double>(c.in_channels);
  for (std::int64_t level = 1; level <= c.depth + 1; ++level) {
    const double s = static_cast<double>(size >> (level - 1)),
                 v = static_cast<double>(batch) * s * s * s;
    const double feats = static_cast<double>(c.init_features << (level - 1));
    conv(v, cin, feats, 3);
    conv(v, feats, feats, 3);
    if (level <= c.depth) {  // decoder block of this level, and the upsampling into it
      conv(v, 2 * feats, feats, 3);
      conv(v, feats, feats, 3);
      f += 2 * (v / 8) * (2 * feats) * feats * 8;
    }
    cin = feats;
  }
  conv(static_cast<double>(batch * size * size * size), static_cast<double>(c.init_features),
       static_cast<double>(c.num_classes), 1);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool("bench", [&] {
    Flags flags("bench",
                "Times kernels, convolutions, the training step and inference against the\n"
                "card's (or CPU's) measured copy bandwidth and GEMM rate.");
    flags.add("device", "auto|cuda|cpu", "backend to measure", "auto");
    flags.add("size", "S", "volume side (default 96 on a GPU, 48 on the CPU)");
    flags.add("features", "F", "init_features (default 32 on a GPU, 8 on the CPU)");
    flags.add("batch", "B", "batch (default 2 on a GPU, 1 on the CPU)");
    flags.add("depth", "D", "depth", "4");
    flags.add("precision", "fp16|fp32", "(default fp16 on a GPU, fp32 on the CPU)");
    flags.add("filter", "PATTERN", "only cases whose name matches this regular expression", ".");
    flags.add("seconds", "T", "time each case for at least this long", "1");
    flags.add("json", "FILE", "also write every figure as JSON");
    if (!flags.parse(argc, argv)) return 0;
    const Device device = parse_device(flags.text("device"));
    const bool gpu = device == Device::cuda;
    const auto pick = [&](const char* name, std::int64_t on_gpu, std::int64_t on_cpu) {
      return flags.given(name) ? flags.integer(name) : (gpu ? on_gpu : on_cpu);
    };
    const std::int64_t size = pick("size", 96, 48), f = pick("features", 32, 8),
                       batch = pick("batch", 2, 1);
    const std::string precision_word =
        flags.given("precision") ? flags.text("precision") : (gpu ? "fp16" : "fp32");
    const Precision precision = precision_word == "fp16" ? Precision::f16 : Precision::f32;
    const DType act = activation_dtype(precision);
    const double element = static_cast<double>(dtype_size(act));
    Bench b{device, std::regex(flags.text("filter")), flags.number("seconds"), {}};
    std::fprintf(stderr, "bench on %s, %s, size %lld, features %lld, batch %lld\n",
                 describe_device(device).c_str(), precision_word.c_str(),
                 static_cast<long long>(size), static_cast<long long>(f),
                 static_cast<long long>(batch));

    // Ceilings: copy bandwidth and a large GEMM.
    {
      const std::int64_t n = std::int64_t{1} << 27;  // 512 MB of f32
      Tensor a = random({1, 1, 1, 1, n}, DType::f32, device, 1), c(a.shape(), DType::f32, device);
      b.add("ceiling copy", 2.0 * static_cast<double>(a.bytes()), 0, [&] { copy(a, c); });
      const std::int64_t m = gpu ? 8192 : 1536;
      const DType gemm_type = gpu ? DType::f16 : DType::f32;
      Tensor x = random({1, 1, 1, m, m}, gemm_type, device, 2),
             y = random({1, 1, 1, m, m}, gemm_type, device, 3),
             z({1, 1, 1, m, m}, gemm_type, device);
      b.add("ceiling gemm", 0, 2.0 * static_cast<double>(m * m * m), [&] {
        gemm(device, {m, m, m, gemm_type, gemm_type}, 1.0, {x.data(), false}, {y.data(), false},
             0.0, z.data());
      });
    }

    // Kernels at the first level's shapes (the largest activations).
    const Shape level1{batch, size, size, size, f}, pooled{batch, size / 2, size / 2, size / 2, f};
    const double activation = static_cast<double>(level1.numel()) * element;
    Tensor x = random(level1, act, device, 4), y(level1, act, device),
           dy = random(level1, act, device, 5), dx(level1, act, device);
    b.add("relu forward", 2 * activation, 0, [&] { relu_forward(x, y); });
    b.add("relu backward", 3 * activation, 0, [&] { relu_backward(x, dy, dx); });
    {
      const DType stat = master_dtype(precision);
      const Shape v = Shape::vector(f);
      Tensor gamma = random(v, stat, device, 6), beta = random(v, stat, device, 7),
             rm(v, stat, device), rv(v, stat, device), mean(v, stat, device), inv(v, stat, device),
             dg(v, stat, device), dbeta(v, stat, device);
      fill(rv, 1.0);
      b.add("batchnorm+relu forward (train)", 3 * activation, 0,
            [&] { batchnorm_forward_train(x, gamma, beta, rm, rv, mean, inv, y, {true}); });
      b.add("batchnorm+relu backward", 5 * activation, 0,
            [&] { batchnorm_backward(x, y, dy, gamma, mean, inv, dx, dg, dbeta, {true}); });
    }
    Tensor p(pooled, act, device), dp = random(pooled, act, device, 8);
    b.add("maxpool forward", activation * 1.125, 0, [&] { maxpool_forward(x, p); });
    b.add("maxpool backward", activation * 2.125, 0, [&] { maxpool_backward(x, dp, dx); });
    {
      Tensor joined(level1.with_channels(2 * f), act, device), da(level1, act, device),
          db(level1, act, device);
      b.add("concat channels", 4 * activation, 0, [&] { concat_channels(x, dy, joined); });
      b.add("split channels", 4 * activation, 0, [&] { split_channels(joined, da, db); });
    }
    {
      const std::int64_t classes = 6;
      const Shape logits_shape = level1.with_channels(classes);
      const double logits_bytes = static_cast<double>(logits_shape.numel()) * element;
      Tensor logits = random(logits_shape, act, device, 9), probs(logits_shape, act, device),
             dlogits(logits_shape, act, device);
      Tensor labels(level1.with_channels(1), DType::u8, device);
      fill(labels, 1.0);
      Tensor loss(Shape::scalar(), master_dtype(precision), device);
      b.add("softmax forward", 2 * logits_bytes, 0, [&] { softmax_forward(logits, probs); });
      b.add("dice loss + gradient", 3 * logits_bytes, 0,
            [&] { dice_loss(logits, labels, false, loss, {&dlogits}); });
      b.add("cross-entropy + gradient", 3 * logits_bytes, 0,
            [&] { cross_entropy(logits, labels, nullptr, loss, {&dlogits}); });
    }
    {
      const Shape w{f, 3, 3, 3, f};
      Tensor weights = random(w, act, device, 10), dw(w, DType::f32, device);
      fill(dw, 0.0);
      const double flops = 2.0 * static_cast<double>(level1.numel()) * static_cast<double>(f) * 27;
      b.add("conv3d 3x3x3 forward", 2 * activation, flops,
            [&] { conv3d_forward(x, weights, nullptr, y); });
      b.add("conv3d 3x3x3 backward data", 2 * activation, flops,
            [&] { conv3d_backward_data(dy, weights, dx); });
      b.add("conv3d 3x3x3 backward weights", 2 * activation, flops,
            [&] { conv3d_backward_weights(x, dy, dw, nullptr); });
    }
    {
      Tensor in = random(pooled.with_channels(2 * f), act, device, 11),
             weights = random({2 * f, 2, 2, 2, f}, act, device, 12),
             bias = random(Shape::vector(f), act, device, 13),
             dw({2 * f, 2, 2, 2, f}, DType::f32, device), db(Shape::vector(f), DType::f32, device),
             din(in.shape(), act, device);
      fill(dw, 0.0);
      fill(db, 0.0);
      const double flops =
          2.0 * static_cast<double>(pooled.numel()) * 2 * static_cast<double>(f) * 8;
      b.add("conv_transpose3d forward", 3 * activation, flops,
            [&] { conv_transpose3d_forward(in, weights, bias, y); });
      b.add("conv_transpose3d backward", 4 * activation, 2 * flops, [&] {
        conv_transpose3d_backward_data(dy, weights, din);
        conv_transpose3d_backward_weights(in, dy, dw, db);
      });
    }

    // The whole network: a training step (forward, Dice loss, backward, Adam) and inference.
    const UNetConfig config{1, 6, f, flags.integer("depth")};
    UNet3D net(config, device, precision, batch, size);
    net.parameters().initialize(1);
    Adam adam(net.parameters(), {});
    LossScaler scaler(precision == Precision::f16);
    TrainingStep step(net, adam, scaler, {LossKind::dice}, nullptr, 1);
    Tensor input = net.input();
    fill_uniform(input, 14, -1.0f, 1.0f);
    Tensor labels = step.labels();
    fill(labels, 2.0);
    const double step_flops = 3 * forward_flops(config, batch, size);
    const std::int64_t params = net.parameters().parameter_count();
    b.add("adam update (all parameters)", 7.0 * 4 * static_cast<double>(params), 0, [&] {
      Tensor grads = net.parameters().grads();
      fill(grads, 1e-3);
      adam.step(1.0);
    });
    b.add("training step", 0, step_flops, [&] {
      step.micro_batch();
      step.apply();
    });
    b.add("inference forward", 0, forward_flops(config, batch, size), [&] { net.forward(false); });
    const double peak = static_cast<double>(memory_stats().peak_bytes[static_cast<int>(device)]);

    // The table, against the ceilings of this run.
    double copy_bw = 0, gemm_rate = 0;
    for (const Result& r : b.results) {
      if (r.name == "ceiling copy" && r.ms > 0) copy_bw = r.bytes / (r.ms * 1e-3);
      if (r.name == "ceiling gemm" && r.ms > 0) gemm_rate = r.flops / (r.ms * 1e-3);
    }
    std::printf("%-36s %10s %9s %11s %8s %8s  %s\n", "case", "ms", "GB/s", "GFLOP/s", "%copy",
                "%gemm", "check");
    std::string json = "[";
    for (const Result& r : b.results) {
      const double gbs = r.ms > 0 && r.bytes > 0 ? r.bytes / (r.ms * 1e-3) / 1e9 : NAN;
      const double gflops = r.ms > 0 && r.flops > 0 ? r.flops / (r.ms * 1e-3) / 1e9 : NAN;
      const double of_copy = copy_bw > 0 ? 100 * gbs * 1e9 / copy_bw : NAN;
      const double of_gemm = gemm_rate > 0 ? 100 * gflops * 1e9 / gemm_rate : NAN;
      std::printf("%-36s %10.3f %9.1f %11.1f %8.1f %8.1f  %s\n", r.name.c_str(), r.ms, gbs, gflops,
                  of_copy, of_gemm, r.check.c_str());
      json += concat(json.size() > 1 ? ",\n" : "\n", " {\"name\": \"", r.name, "\", \"ms\": ", r.ms,
                     ", \"bytes\": ", r.bytes, ", \"flops\": ", r.flops, ", \"check\": \"", r.check,
                     "\"}");
    }
    double step_ms = NAN;
    for (const Result& r : b.results)
      if (r.name == "training step") step_ms = r.ms;
    std::printf(
        "\ntraining step: %.3f volumes/s, model FLOP utilisation %.1f %% of the GEMM ceiling, "
        "peak %s memory %.1f MB, %lld parameters\n",
        static_cast<double>(batch) / (step_ms * 1e-3),
        gemm_rate > 0 ? 100 * step_flops / (step_ms * 1e-3) / gemm_rate : NAN, device_name(device),
        peak / 1e6, static_cast<long long>(params));
    json += concat("\n]\n");
    if (flags.given("json")) {
      std::ofstream out(flags.text("json"));
      out << "{\"device\": \"" << describe_device(device) << "\", \"precision\": \""
          << precision_word << "\", \"size\": " << size << ", \"features\": " << f
          << ", \"batch\": " << batch << ", \"training_step_ms\": " << step_ms
          << ", \"peak_memory_bytes\": " << peak << ", \"cases\": " << json << "}\n";
    }
    return 0;
  });
}
