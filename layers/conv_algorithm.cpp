// The cuDNN algorithm choice and the planned channel counts.
#include "layers/conv_algorithm.h"

#include "runtime/error.h"

namespace unet3d {

const char* direction_name(ConvDirection d) {
  switch (d) {
    case ConvDirection::forward: return "forward";
    case ConvDirection::backward_data: return "backward-data";
    case ConvDirection::backward_filter: return "backward-filter";
  }
  return "?";
}

const char* math_name(ConvMath m) {
  switch (m) {
    case ConvMath::default_math: return "DEFAULT_MATH";
    case ConvMath::tensor_op: return "TENSOR_OP_MATH";
    case ConvMath::tensor_op_allow_conversion: return "TENSOR_OP_MATH_ALLOW_CONVERSION";
    case ConvMath::fma: return "FMA_MATH";
  }
  return "?";
}

std::string refusal(const AlgorithmResult& r, const AlgorithmRules& rules) {
  if (!r.succeeded) return concat("status ", r.status);
  if (r.workspace_bytes > rules.max_workspace)
    return concat("workspace ", r.workspace_bytes, " bytes over the limit of ",
                  rules.max_workspace);
  if (rules.f32 && r.math != ConvMath::fma)
    return concat(math_name(r.math), " on f32 data (only FMA_MATH keeps TF32 off)");
  if (rules.deterministic && !r.deterministic) return "not deterministic";
  return "";
}

AlgorithmChoice choose_algorithm(const std::vector<AlgorithmResult>& table, bool timed,
                                 const AlgorithmRules& rules, const std::string& what) {
  UNET3D_USAGE_CHECK(!(timed && rules.deterministic), "choose_algorithm for ", what,
                     ": deterministic rules take cuDNN's heuristic order, not timings");
  bool found = false;
  AlgorithmChoice choice;
  std::string refusals;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const std::string why = refusal(table[i], rules);
    if (!why.empty()) {
      refusals += concat("; algo ", table[i].algo, ": ", why);
      continue;
    }
    if (!found || (timed && table[i].ms < table[choice.index].ms)) choice.index = i;
    found = true;
    if (!timed) break;
  }
  if (!found)
    throw Error(ErrorKind::runtime, concat("cuDNN offers no usable algorithm for ", what, " (",
                                           table.size(), " offered", refusals, ")"));
  const AlgorithmResult& r = table[choice.index];
  choice.reason = timed ? concat("fastest usable by Find (", r.ms, " ms)")
                        : concat("first usable in cuDNN's heuristic order",
                                 rules.deterministic ? " (deterministic rules)" : "");
  return choice;
}

namespace {
bool deterministic_flag = false;
}  // namespace

void set_deterministic_convolutions(bool on) {
  deterministic_flag = on;
}

bool deterministic_convolutions() {
  return deterministic_flag;
}

bool worth_timing(double flops, const AlgorithmRules& rules) {
  return !rules.deterministic && flops >= kFindMinFlops;
}

ConvChannels planned_channels(const Shape& w, DType dtype, bool refused_as_is) {
  const auto granule = [](std::int64_t c) { return (c + 7) / 8 * 8; };
  if (dtype == DType::f16 || refused_as_is) return {granule(w.c), granule(w.n)};
  return {w.c, w.n};
}

}  // namespace unet3d
