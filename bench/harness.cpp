// The benchmark harness.
#include "bench/harness.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "kernels/elementwise.h"
#include "runtime/error.h"
#include "runtime/gpu_runtime.h"
#include "unet3d/build_config.h"

namespace unet3d::bench {
namespace {

// The cache a repeated run could be served from: the GPU's L2, or the CPU's last level.
std::size_t last_level_cache_bytes(Device device) {
  if (device == Device::cuda) {
    if constexpr (kBuiltWithCuda) return gpu::l2_cache_bytes();
  }
  for (const int level : {_SC_LEVEL3_CACHE_SIZE, _SC_LEVEL2_CACHE_SIZE}) {
    const long bytes = sysconf(level);
    if (bytes > 0) return static_cast<std::size_t>(bytes);
  }
  return std::size_t{32} << 20;  // sysconf does not know: assume a large server L3
}

std::size_t operand_bytes(const OpCase& c) {
  std::size_t bytes = 0;
  for (const Tensor& t : c.inputs) bytes += t.bytes();
  for (const OutputSpec& o : c.outputs)
    bytes += static_cast<std::size_t>(o.shape.numel()) * dtype_size(o.dtype);
  return bytes;
}

std::string summary(const ParityReport& report) {
  double worst = 0;
  for (const Comparison& c : report.outputs) worst = std::max(worst, c.norm_rel_error);
  char text[96];
  std::snprintf(text, sizeof text, "ok, %zu outputs, norm-wise error <= %.1e",
                report.outputs.size(), worst);
  return text;
}

}  // namespace

Harness::Harness(Device device, const std::string& filter, double min_seconds)
    : device_(device),
      filter_(filter),
      min_seconds_(min_seconds),
      rotation_bytes_(2 * last_level_cache_bytes(device)) {}

bool Harness::selected(const std::string& name) const {
  return std::regex_search(name, filter_);
}

int Harness::refused() const {
  return static_cast<int>(
      std::count_if(results_.begin(), results_.end(), [](const Result& r) { return !r.timed; }));
}

double Harness::median_ms(int copies, const std::function<void(int)>& run) const {
  const auto once = [&](int i) {
    const auto body = [&] { run(i % copies); };
    if (device_ == Device::cuda) {
      if constexpr (kBuiltWithCuda) return gpu::time_ms(body);
    }
    const auto t0 = std::chrono::steady_clock::now();
    body();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  once(0);
  once(1);
  std::vector<double> times;
  double total = 0;
  while (times.size() < 5 || (total < min_seconds_ * 1000 && times.size() < 200)) {
    times.push_back(once(static_cast<int>(times.size()) + 2));
    total += times.back();
  }
  std::nth_element(times.begin(), times.begin() + static_cast<long>(times.size() / 2), times.end());
  return times[times.size() / 2];
}

void Harness::add(const OpCase& c) {
  if (!selected(c.name)) return;
  Result r{c.name, 0, c.bytes, c.flops, 1, false, ""};
  const ParityReport report = check_op(c, device_);
  if (!report.ok()) {
    r.check = "MISMATCH against the CPU reference, not timed: " + report.describe();
    std::fprintf(stderr, "  %s: %s", c.name.c_str(), r.check.c_str());
    results_.push_back(r);
    return;
  }
  r.check = summary(report);

  // Operand copies on the device (together at most rotation_bytes plus one set), each output
  // started from zeros.
  const std::size_t one_set = std::max<std::size_t>(operand_bytes(c), 1);
  r.copies = static_cast<int>(
      std::clamp<std::size_t>((rotation_bytes_ + one_set - 1) / one_set, 1, kMaxOperandCopies));
  std::vector<Tensors> inputs(static_cast<std::size_t>(r.copies)),
      outputs(static_cast<std::size_t>(r.copies));
  for (int i = 0; i < r.copies; ++i) {
    for (const Tensor& t : c.inputs) inputs[static_cast<std::size_t>(i)].push_back(t.to(device_));
    for (const OutputSpec& o : c.outputs) {
      Tensor t(o.shape, o.dtype, device_);
      fill(t, 0.0);
      outputs[static_cast<std::size_t>(i)].push_back(std::move(t));
    }
  }
  r.ms = median_ms(r.copies, [&](int i) {
    c.op(inputs[static_cast<std::size_t>(i)], outputs[static_cast<std::size_t>(i)]);
  });
  r.timed = true;
  std::fprintf(stderr, "  %s: %.3f ms (%d operand copies; %s)\n", c.name.c_str(), r.ms, r.copies,
               r.check.c_str());
  results_.push_back(r);
}

void Harness::add_unchecked(const std::string& name, double bytes, double flops,
                            const std::function<void()>& run, const std::string& vouched_by) {
  if (!selected(name)) return;
  Result r{name, median_ms(1, [&](int) { run(); }), bytes, flops, 1, true, vouched_by};
  std::fprintf(stderr, "  %s: %.3f ms\n", name.c_str(), r.ms);
  results_.push_back(r);
}

}  // namespace unet3d::bench
