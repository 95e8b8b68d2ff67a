// What bench prints and writes: the table of every case against the run's ceilings (copy
// bandwidth, GEMM rate), the training step's summary line, and the JSON (rewritten after every
// case, so that a run cut short leaves what it measured).
#pragma once

#include <string>
#include <vector>

#include "bench/harness.h"

namespace unet3d::bench {

// The run's settings and the figures that are not cases, for the JSON's header.
struct RunFacts {
  std::string device, precision;
  std::int64_t size = 0, features = 0, batch = 0;
  bool deterministic = false;
  double max_seconds = 0;        // the run's time limit (infinite: none)
  double step_flops = 0;         // one training step's
  double peak_memory_bytes = 0;  // the network's, once measured (NaN before)
  long long parameters = 0;
  bool complete = false;  // every selected case has its result
};

// The table and the summary lines, on standard output.
void print_report(const std::vector<Result>& results, const RunFacts& facts);
// The JSON of the results so far.
std::string report_json(const std::vector<Result>& results, const RunFacts& facts);

}  // namespace unet3d::bench
