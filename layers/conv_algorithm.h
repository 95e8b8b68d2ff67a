// How a convolution's cuDNN algorithm is chosen, as plain functions over a table of what cuDNN
// offered, so the CPU tests check every rule with made-up tables; layers/conv3d_cudnn.cpp only
// fills the table from cuDNN and runs the result. Also the channel counts a convolution is
// planned with, where cuDNN's NDHWC f16 kernels want multiples of 8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/dtype.h"
#include "runtime/shape.h"

namespace unet3d {

enum class ConvDirection { forward, backward_data, backward_filter };
const char* direction_name(ConvDirection d);

// cuDNN's cudnnMathType_t, in its order.
enum class ConvMath { default_math, tensor_op, tensor_op_allow_conversion, fma };
const char* math_name(ConvMath m);

// One result of cudnnFind*Algorithm (timed) or cudnnGet*Algorithm_v7 (heuristic order).
struct AlgorithmResult {
  int algo = 0;
  bool succeeded = true;
  std::string status;  // cuDNN's status name, for the log
  float ms = -1;       // Find's time; -1 for heuristics, which time nothing
  std::size_t workspace_bytes = 0;
  ConvMath math = ConvMath::default_math;
  bool deterministic = true;
};

struct AlgorithmRules {
  bool f32 = false;            // f32 data: FMA math only (DEFAULT_MATH may use TF32 on sm_80+)
  bool deterministic = false;  // only deterministic results, and no dependence on timing
  std::size_t max_workspace = std::size_t{1} << 30;
};

// Why `r` cannot be used under `rules`; empty when it can.
std::string refusal(const AlgorithmResult& r, const AlgorithmRules& rules);

struct AlgorithmChoice {
  std::size_t index = 0;  // into the table
  std::string reason;
};

// The usable result to run: with `timed` results (Find's), the fastest (the first on a tie);
// otherwise the first in the table's order (cuDNN's heuristic order). Deterministic rules take
// only deterministic results from an untimed table, so that timing noise cannot change the
// choice between processes. Nothing usable: a runtime Error naming `what` (the shape and
// direction) and why each result was refused.
AlgorithmChoice choose_algorithm(const std::vector<AlgorithmResult>& table, bool timed,
                                 const AlgorithmRules& rules, const std::string& what);

// Process-wide (--deterministic): convolutions planned from now on take deterministic
// algorithms only. The CPU backend's convolutions are deterministic whatever this says.
void set_deterministic_convolutions(bool on);
bool deterministic_convolutions();

// Find runs every algorithm on the card, which costs more than it saves on small convolutions;
// those (and every convolution under deterministic rules) take cuDNN's heuristic order.
inline constexpr double kFindMinFlops = 1e9;
bool worth_timing(double flops, const AlgorithmRules& rules);

// The input and output channel counts a convolution with weights w ([Cout, k, k, k, Cin]) runs
// with: f16 counts rounded up to a multiple of 8 (the NDHWC tensor-core kernels' granule), and
// f32 counts as they are unless cuDNN offered nothing for them (`refused_as_is`); the padding
// holds zeros, so the result is that of the unpadded convolution.
struct ConvChannels {
  std::int64_t in, out;
  bool operator==(const ConvChannels&) const = default;
};
ConvChannels planned_channels(const Shape& w, DType dtype, bool refused_as_is);

}  // namespace unet3d
