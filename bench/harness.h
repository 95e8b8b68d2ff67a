// The benchmark harness: checks each case against the CPU reference on the same input (a small
// instance of it, where the full size's reference would cost more than the timing), then times
// it (median after warm-up, CUDA events on the GPU) over enough copies of its operands to span
// twice the last-level cache (the GPU's L2; the CPU's L3 as sysconf reports it), so that no
// repetition finds its operands already cached. With a time limit for the whole run, cases that
// would start after it are reported "not run", and a case that reaches it stops repeating.
#pragma once

#include <chrono>
#include <functional>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "verify/op_cases.h"

namespace unet3d::bench {

// Operands of a few kB would need ~10^5 copies to span the cache; a kernel that small is
// bound by its launch, not by memory, so it keeps fewer.
inline constexpr std::size_t kMaxOperandCopies = 1024;

enum class Outcome {
  timed,
  refused,  // failed its check: not timed
  not_run,  // the run's time limit had passed
};
const char* outcome_name(Outcome o);

struct Result {
  std::string name;
  double ms = 0, bytes = 0, flops = 0;
  int copies = 1;       // operand sets the repetitions rotated through
  int repetitions = 0;  // timed ones
  Outcome outcome = Outcome::not_run;
  std::string check;  // what the check found, or what vouches for an unchecked case

  bool timed() const { return outcome == Outcome::timed; }
};

class Harness {
 public:
  // max_seconds: the whole run's limit, counted from construction.
  Harness(Device device, const std::string& filter, double min_seconds,
          double max_seconds = std::numeric_limits<double>::infinity());

  bool selected(const std::string& name) const;
  // Checks `c` (verify/op_cases.h), and times it only if it matches its reference.
  void add(const OpCase& c);
  // Checks `small` (the case at a small size) and, only if it matches, times full() (the same
  // op at the size to measure, built only then), under `small`'s name.
  void add(const OpCase& small, const std::function<OpCase()>& full);
  // Times a case with no single reference output (a whole training step); `vouched_by` says
  // which checks cover it.
  void add_unchecked(const std::string& name, double bytes, double flops,
                     const std::function<void()>& run, const std::string& vouched_by);
  // Called with each result as it is added (bench rewrites its JSON there).
  void on_result(std::function<void(const Result&)> listener) { listener_ = std::move(listener); }

  std::size_t rotation_bytes() const { return rotation_bytes_; }
  const std::vector<Result>& results() const { return results_; }
  int refused() const;
  bool out_of_time() const;

 private:
  // Median milliseconds of run(i) for i = 0, 1, 2, ... modulo `copies`, after two warm-ups (one
  // where the time limit passes during the first): at least 5 repetitions, more while under
  // min_seconds (at most 200); past the time limit, no more after the first.
  double median_ms(int copies, const std::function<void(int)>& run, int& repetitions) const;
  // Records a selected case; false when the time limit has passed (recorded "not run").
  bool starting(const std::string& name);
  void record(Result r);

  Device device_;
  std::regex filter_;
  double min_seconds_, max_seconds_;
  std::chrono::steady_clock::time_point started_;
  std::size_t rotation_bytes_;
  std::vector<Result> results_;
  std::function<void(const Result&)> listener_;
};

}  // namespace unet3d::bench
