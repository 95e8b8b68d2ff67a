// The benchmark harness: checks each case against the CPU reference on the same input, then
// times it (median after warm-up, CUDA events on the GPU) over enough copies of its operands to
// span twice the last-level cache (the GPU's L2; the CPU's L3 as sysconf reports it), so that no
// repetition finds its operands already cached.
#pragma once

#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "verify/op_cases.h"

namespace unet3d::bench {

// Operands of a few kB would need ~10^5 copies to span the cache; a kernel that small is
// bound by its launch, not by memory, so it keeps fewer.
inline constexpr std::size_t kMaxOperandCopies = 1024;

struct Result {
  std::string name;
  double ms = 0, bytes = 0, flops = 0;
  int copies = 1;      // operand sets the repetitions rotated through
  bool timed = false;  // false: the case failed its check and was refused
  std::string check;   // what the check found, or what vouches for an unchecked case
};

class Harness {
 public:
  Harness(Device device, const std::string& filter, double min_seconds);

  bool selected(const std::string& name) const;
  // Checks `c` (verify/op_cases.h), and times it only if it matches its reference.
  void add(const OpCase& c);
  // Times a case with no single reference output (a whole training step); `vouched_by` says
  // which checks cover it.
  void add_unchecked(const std::string& name, double bytes, double flops,
                     const std::function<void()>& run, const std::string& vouched_by);

  std::size_t rotation_bytes() const { return rotation_bytes_; }
  const std::vector<Result>& results() const { return results_; }
  int refused() const;

 private:
  // Median milliseconds of run(i) for i = 0, 1, 2, ... modulo `copies`, after two warm-ups:
  // at least 5 repetitions, more while under min_seconds (at most 200).
  double median_ms(int copies, const std::function<void(int)>& run) const;

  Device device_;
  std::regex filter_;
  double min_seconds_;
  std::size_t rotation_bytes_;
  std::vector<Result> results_;
};

}  // namespace unet3d::bench
