// The benchmark harness.
#include "bench/harness.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

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

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::timed: return "timed";
    case Outcome::refused: return "refused";
    case Outcome::not_run: return "not run";
  }
  return "?";
}

Harness::Harness(Device device, const std::string& filter, double min_seconds, double max_seconds)
    : device_(device),
      filter_(filter),
      min_seconds_(min_seconds),
      max_seconds_(max_seconds),
      started_(std::chrono::steady_clock::now()),
      rotation_bytes_(2 * last_level_cache_bytes(device)) {}

bool Harness::selected(const std::string& name) const {
  return std::regex_search(name, filter_);
}

bool Harness::out_of_time() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count() >
         max_seconds_;
}

int Harness::refused() const {
  return static_cast<int>(std::count_if(results_.begin(), results_.end(), [](const Result& r) {
    return r.outcome == Outcome::refused;
  }));
}

void Harness::record(Result r) {
  if (r.outcome == Outcome::not_run)
    std::fprintf(stderr, "  %s: not run (the time limit of %g s had passed)\n", r.name.c_str(),
                 max_seconds_);
  results_.push_back(std::move(r));
  if (listener_) listener_(results_.back());
}

bool Harness::starting(const std::string& name) {
  if (!out_of_time()) return true;
  record({name, 0, 0, 0, 1, 0, Outcome::not_run, "the run's time limit had passed"});
  return false;
}

double Harness::median_ms(int copies, const std::function<void(int)>& run, int& repetitions) const {
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
  if (!out_of_time()) once(1);
  std::vector<double> times;
  double total = 0;
  while (times.empty() || (!out_of_time() && (times.size() < 5 || (total < min_seconds_ * 1000 &&
                                                                   times.size() < 200)))) {
    times.push_back(once(static_cast<int>(times.size()) + 2));
    total += times.back();
  }
  repetitions = static_cast<int>(times.size());
  std::nth_element(times.begin(), times.begin() + static_cast<long>(times.size() / 2), times.end());
  return times[times.size() / 2];
}

void Harness::add(const OpCase& c) {
  // The case is its own full size: nothing more to build.
  add(c, {});
}

void Harness::add(const OpCase& small, const std::function<OpCase()>& full) {
  if (!selected(small.name) || !starting(small.name)) return;
  Result r{small.name, 0, small.bytes, small.flops, 1, 0, Outcome::refused, ""};
  const ParityReport report = check_op(small, device_);
  if (!report.ok()) {
    r.check = "MISMATCH against the CPU reference, not timed: " + report.describe();
    std::fprintf(stderr, "  %s: %s", small.name.c_str(), r.check.c_str());
    record(r);
    return;
  }
  r.check = summary(report);
  std::optional<OpCase> built;
  if (full) {
    built.emplace(full());
    r.check += " (checked at a small size)";
  }
  const OpCase& c = built ? *built : small;
  r.bytes = c.bytes, r.flops = c.flops;

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
      fill({t, 0.0});
      outputs[static_cast<std::size_t>(i)].push_back(std::move(t));
    }
  }
  r.ms = median_ms(
      r.copies,
      [&](int i) {
        c.op(inputs[static_cast<std::size_t>(i)], outputs[static_cast<std::size_t>(i)]);
      },
      r.repetitions);
  r.outcome = Outcome::timed;
  std::fprintf(stderr, "  %s: %.3f ms (%d operand copies; %s)\n", r.name.c_str(), r.ms, r.copies,
               r.check.c_str());
  record(r);
}

void Harness::add_unchecked(const std::string& name, double bytes, double flops,
                            const std::function<void()>& run, const std::string& vouched_by) {
  if (!selected(name) || !starting(name)) return;
  Result r{name, 0, bytes, flops, 1, 0, Outcome::timed, vouched_by};
  r.ms = median_ms(
      1, [&](int) { run(); }, r.repetitions);
  std::fprintf(stderr, "  %s: %.3f ms\n", name.c_str(), r.ms);
  record(r);
}

}  // namespace unet3d::bench
