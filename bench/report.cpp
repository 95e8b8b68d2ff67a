// bench's table and JSON.
#include "bench/report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "io/json.h"
#include "runtime/error.h"

namespace unet3d::bench {
namespace {

// A JSON number, or null for a figure not measured (NaN is not JSON).
std::string json_number(double v) {
  return std::isfinite(v) ? concat(v) : "null";
}

struct Ceilings {
  double copy_bw = 0, gemm_rate = 0, step_ms = NAN, loaded_ms = NAN;
};

Ceilings ceilings_of(const std::vector<Result>& results) {
  Ceilings c;
  for (const Result& r : results) {
    if (!r.timed()) continue;
    if (r.name == "ceiling copy" && r.ms > 0) c.copy_bw = r.bytes / (r.ms * 1e-3);
    if (r.name == "ceiling gemm" && r.ms > 0) c.gemm_rate = r.flops / (r.ms * 1e-3);
    if (r.name == "training step") c.step_ms = r.ms;
    if (r.name == "training step beside a busy process") c.loaded_ms = r.ms;
  }
  return c;
}

}  // namespace

void print_report(const std::vector<Result>& results, const RunFacts& facts) {
  const Ceilings c = ceilings_of(results);
  std::printf("%-36s %10s %9s %11s %8s %8s %6s  %s\n", "case", "ms", "GB/s", "GFLOP/s", "%copy",
              "%gemm", "copies", "check");
  for (const Result& r : results) {
    if (r.outcome == Outcome::refused) {
      std::printf("%-36s %10s  MISMATCH against the CPU reference (above); not timed\n",
                  r.name.c_str(), "refused");
      continue;
    }
    if (r.outcome == Outcome::not_run) {
      std::printf("%-36s %10s  the run's time limit (--max-seconds %g) had passed\n",
                  r.name.c_str(), "not run", facts.max_seconds);
      continue;
    }
    const double gbs = r.bytes > 0 ? r.bytes / (r.ms * 1e-3) / 1e9 : NAN;
    const double gflops = r.flops > 0 ? r.flops / (r.ms * 1e-3) / 1e9 : NAN;
    const double of_copy = c.copy_bw > 0 ? 100 * gbs * 1e9 / c.copy_bw : NAN;
    const double of_gemm = c.gemm_rate > 0 ? 100 * gflops * 1e9 / c.gemm_rate : NAN;
    std::printf("%-36s %10.3f %9.1f %11.1f %8.1f %8.1f %6d  %s\n", r.name.c_str(), r.ms, gbs,
                gflops, of_copy, of_gemm, r.copies, r.check.c_str());
  }
  std::printf(
      "\ntraining step: %.3f volumes/s, model FLOP utilisation %.1f %% of the GEMM ceiling, "
      "peak %s memory %.1f MB, %lld parameters\n",
      static_cast<double>(facts.batch) / (c.step_ms * 1e-3),
      c.gemm_rate > 0 ? 100 * facts.step_flops / (c.step_ms * 1e-3) / c.gemm_rate : NAN,
      facts.device.c_str(), facts.peak_memory_bytes / 1e6, facts.parameters);
  if (std::isfinite(c.loaded_ms))
    std::printf("beside a busy process the step takes %.2fx its time alone\n",
                c.loaded_ms / c.step_ms);
}

std::string report_json(const std::vector<Result>& results, const RunFacts& facts) {
  const Ceilings c = ceilings_of(results);
  std::string cases = "[";
  for (const Result& r : results)
    cases += concat(cases.size() > 1 ? ",\n" : "\n", " {\"name\": ", json::quote(r.name),
                    ", \"outcome\": ", json::quote(outcome_name(r.outcome)),
                    ", \"timed\": ", r.timed() ? "true" : "false",
                    ", \"ms\": ", r.timed() ? concat(r.ms) : "null",
                    ", \"repetitions\": ", r.repetitions, ", \"bytes\": ", r.bytes,
                    ", \"flops\": ", r.flops, ", \"copies\": ", r.copies,
                    ", \"check\": ", json::quote(r.check), "}");
  std::ostringstream out;
  out << "{\"device\": " << json::quote(facts.device)
      << ", \"precision\": " << json::quote(facts.precision) << ", \"size\": " << facts.size
      << ", \"features\": " << facts.features << ", \"batch\": " << facts.batch
      << ", \"deterministic\": " << (facts.deterministic ? "true" : "false")
      << ", \"max_seconds\": " << json_number(facts.max_seconds)
      << ", \"complete\": " << (facts.complete ? "true" : "false")
      << ", \"training_step_ms\": " << json_number(c.step_ms)
      << ", \"loaded_step_ratio\": " << json_number(c.loaded_ms / c.step_ms)
      << ", \"peak_memory_bytes\": " << json_number(facts.peak_memory_bytes)
      << ", \"cases\": " << cases << "\n]\n}\n";
  return out.str();
}

}  // namespace unet3d::bench
