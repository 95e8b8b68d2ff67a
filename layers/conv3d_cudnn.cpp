// Conv3d on CUDA through cuDNN's legacy API. Each (input shape, kernel, dtype, determinism) gets
// a plan when first used: NDHWC descriptors for its planned channel counts (zero-padded where
// cuDNN's kernels want it), and, for each direction only when that direction first runs, the
// algorithm layers/conv_algorithm.h chooses from what cuDNN offers, with its own convolution
// descriptor set to the chosen result's math type (a descriptor with another math type runs
// another kernel). Plans live for the process; workspaces come from the CUDA context.
#include <cudnn.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "kernels/accumulate.h"
#include "layers/conv3d.h"
#include "layers/conv3d_padded.h"
#include "runtime/cuda_context.h"
#include "runtime/error.h"
#include "runtime/log.h"

namespace unet3d::gpu {
namespace {

cudnnDataType_t cudnn_type(DType t) {
  UNET3D_USAGE_CHECK(t == DType::f16 || t == DType::f32, "conv3d on CUDA: dtype ", dtype_name(t),
                     " (needs f16 or f32)");
  return t == DType::f16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
}

ConvMath math_of(cudnnMathType_t m) {
  switch (m) {
    case CUDNN_TENSOR_OP_MATH: return ConvMath::tensor_op;
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: return ConvMath::tensor_op_allow_conversion;
    case CUDNN_FMA_MATH: return ConvMath::fma;
    default: return ConvMath::default_math;
  }
}

cudnnMathType_t cudnn_math(ConvMath m) {
  switch (m) {
    case ConvMath::tensor_op: return CUDNN_TENSOR_OP_MATH;
    case ConvMath::tensor_op_allow_conversion: return CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    case ConvMath::fma: return CUDNN_FMA_MATH;
    case ConvMath::default_math: break;
  }
  return CUDNN_DEFAULT_MATH;
}

cudnnConvolutionDescriptor_t conv_descriptor(int pad, cudnnMathType_t math) {
  cudnnConvolutionDescriptor_t d;
  UNET3D_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d));
  const int pads[3] = {pad, pad, pad}, ones[3] = {1, 1, 1};
  // f32 accumulation for f16 data too.
  UNET3D_CUDNN_CHECK(cudnnSetConvolutionNdDescriptor(d, 3, pads, ones, ones,
                                                     CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  UNET3D_CUDNN_CHECK(cudnnSetConvolutionMathType(d, math));
  return d;
}

cudnnTensorDescriptor_t tensor_descriptor(const Shape& s, cudnnDataType_t type) {
  cudnnTensorDescriptor_t d;
  UNET3D_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d));
  const int dims[5] = {static_cast<int>(s.n), static_cast<int>(s.c), static_cast<int>(s.d),
                       static_cast<int>(s.h), static_cast<int>(s.w)};
  UNET3D_CUDNN_CHECK(cudnnSetTensorNdDescriptorEx(d, CUDNN_TENSOR_NHWC, type, 5, dims));
  return d;
}

// The descriptors of one convolution at its planned channel counts. `query` carries the math
// type cuDNN is asked with (tensor ops for f16, FMA for f32); each direction executes with a
// descriptor of its own.
struct Descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t query = nullptr;
  int pad = 0;
};

Descriptors make_descriptors(const Shape& x, const Shape& w, DType dtype) {
  const cudnnDataType_t type = cudnn_type(dtype);
  Descriptors d;
  d.pad = static_cast<int>((w.d - 1) / 2);
  d.x = tensor_descriptor(x, type);
  d.y = tensor_descriptor(x.with_channels(w.n), type);
  UNET3D_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d.w));
  const int filter[5] = {static_cast<int>(w.n), static_cast<int>(w.c), static_cast<int>(w.d),
                         static_cast<int>(w.h), static_cast<int>(w.w)};
  UNET3D_CUDNN_CHECK(cudnnSetFilterNdDescriptor(d.w, type, CUDNN_TENSOR_NHWC, 5, filter));
  d.query = conv_descriptor(d.pad, dtype == DType::f16 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH);
  return d;
}

template <class Perf>
std::vector<AlgorithmResult> results_of(const std::vector<Perf>& perf, int count, bool timed) {
  std::vector<AlgorithmResult> table;
  for (int i = 0; i < count; ++i) {
    const Perf& p = perf[static_cast<std::size_t>(i)];
    table.push_back({static_cast<int>(p.algo), p.status == CUDNN_STATUS_SUCCESS,
                     cudnnGetErrorString(p.status), timed ? p.time : -1.0f, p.memory,
                     math_of(p.mathType), p.determinism == CUDNN_DETERMINISTIC});
  }
  return table;
}

// What cuDNN offers for one direction: every algorithm timed by Find, or its heuristic order.
std::vector<AlgorithmResult> query(ConvDirection direction, const Descriptors& d, bool timed) {
  cudnnHandle_t h = Context::get().cudnn();
  int max = 0, count = 0;
  switch (direction) {
    case ConvDirection::forward: {
      UNET3D_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &max));
      std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(static_cast<std::size_t>(max));
      if (timed)
        UNET3D_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(h, d.x, d.w, d.query, d.y, max,
                                                                &count, perf.data()));
      else
        UNET3D_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.query, d.y, max,
                                                                  &count, perf.data()));
      return results_of(perf, count, timed);
    }
    case ConvDirection::backward_data: {
      UNET3D_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &max));
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(static_cast<std::size_t>(max));
      if (timed)
        UNET3D_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(h, d.w, d.y, d.query, d.x, max,
                                                                     &count, perf.data()));
      else
        UNET3D_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.query, d.x,
                                                                       max, &count, perf.data()));
      return results_of(perf, count, timed);
    }
    case ConvDirection::backward_filter: {
      UNET3D_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &max));
      std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(static_cast<std::size_t>(max));
      if (timed)
        UNET3D_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(h, d.x, d.y, d.query, d.w,
                                                                       max, &count, perf.data()));
      else
        UNET3D_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.query, d.w,
                                                                         max, &count, perf.data()));
      return results_of(perf, count, timed);
    }
  }
  return {};
}

double conv_flops(const Shape& x, const Shape& w) {
  return 2.0 * static_cast<double>(x.numel() / x.c) * static_cast<double>(w.n * w.c) *
         static_cast<double>(w.d * w.h * w.w);
}

std::string shape_text(const Shape& x, const Shape& w, DType dtype) {
  return concat("conv3d x ", x.str(), " w ", w.str(), " ", dtype_name(dtype));
}

AlgorithmRules rules_for(DType dtype, bool deterministic) {
  return {dtype == DType::f32, deterministic, std::size_t{1} << 30};
}

struct DirectionPlan {
  cudnnConvolutionDescriptor_t conv = nullptr;  // set to the chosen result's math type
  int algo = 0;
  std::size_t workspace = 0;
};

struct Plan {
  Shape x, w;  // as the callers see them
  DType dtype = DType::f32;
  bool deterministic = false;
  bool refused_as_is = false;  // f32 channel counts cuDNN offered nothing for: padded since
  std::unique_ptr<PaddedConv3d> padding;
  Descriptors d;
  std::array<std::optional<DirectionPlan>, 3> directions;
};

struct PlanningCost {
  int plans = 0, directions = 0, timed = 0;
  double seconds = 0;
};
PlanningCost planning_cost;

void release_descriptors(Plan& p) {
  if (p.d.x == nullptr) return;
  cudnnDestroyTensorDescriptor(p.d.x);
  cudnnDestroyTensorDescriptor(p.d.y);
  cudnnDestroyFilterDescriptor(p.d.w);
  cudnnDestroyConvolutionDescriptor(p.d.query);
  for (const auto& direction : p.directions)
    if (direction) cudnnDestroyConvolutionDescriptor(direction->conv);
  p.d = {};
}

// (Re)builds the descriptors and padding of `p` for its channel counts, dropping any direction
// planned before.
void lay_out(Plan& p) {
  release_descriptors(p);
  const ConvChannels channels = planned_channels(p.w, p.dtype, p.refused_as_is);
  p.padding = std::make_unique<PaddedConv3d>(p.x, p.w, p.dtype, Device::cuda, channels);
  p.d = make_descriptors(p.x.with_channels(channels.in),
                         {channels.out, p.w.d, p.w.h, p.w.w, channels.in}, p.dtype);
  p.directions = {};
  if (p.padding->pads())
    log_info(shape_text(p.x, p.w, p.dtype), ": channels padded with zeros to ", channels.in,
             " in, ", channels.out, " out",
             p.refused_as_is ? " (cuDNN offered no algorithm for them as they are)"
                             : " (cuDNN's NDHWC f16 kernels take multiples of 8)");
}

DirectionPlan choose(const Plan& p, ConvDirection direction) {
  const AlgorithmRules rules = rules_for(p.dtype, p.deterministic);
  const bool timed = worth_timing(conv_flops(p.x, p.w), rules);
  const std::vector<AlgorithmResult> table = query(direction, p.d, timed);
  const AlgorithmChoice choice = choose_algorithm(
      table, timed, rules, concat(shape_text(p.x, p.w, p.dtype), " ", direction_name(direction)));
  const AlgorithmResult& r = table[choice.index];
  planning_cost.timed += timed ? 1 : 0;
  return {conv_descriptor(p.d.pad, cudnn_math(r.math)), r.algo, r.workspace_bytes};
}

struct Planned {
  Plan& plan;
  const DirectionPlan& direction;
};

// The plan of `direction` for input x and kernel shape w ([Cout, k, k, k, Cin]).
Planned plan_for(const Shape& x, const Shape& w, DType dtype, ConvDirection direction) {
  using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                         std::int64_t, std::int64_t, DType, bool>;
  static std::map<Key, Plan> plans;  // one device at a time, one thread drives it
  const bool deterministic = deterministic_convolutions();
  const Key key{x.n, x.d, x.h, x.w, x.c, w.n, w.d, dtype, deterministic};
  const auto started = std::chrono::steady_clock::now();
  auto found = plans.find(key);
  if (found == plans.end()) {
    found = plans.emplace(key, Plan{}).first;
    Plan& p = found->second;
    p.x = x, p.w = w, p.dtype = dtype, p.deterministic = deterministic;
    lay_out(p);
    ++planning_cost.plans;
  }
  Plan& p = found->second;
  auto& slot = p.directions[static_cast<std::size_t>(direction)];
  if (!slot) {
    try {
      slot = choose(p, direction);
    } catch (const Error&) {
      if (p.dtype != DType::f32 || p.refused_as_is) throw;
      p.refused_as_is = true;  // f32 as it is found nothing: pad like f16, and plan again
      lay_out(p);
      p.directions[static_cast<std::size_t>(direction)] = choose(p, direction);
    }
    ++planning_cost.directions;
    planning_cost.seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  return {p, *p.directions[static_cast<std::size_t>(direction)]};
}

void* workspace_for(const DirectionPlan& d) {
  return Context::get().workspace(d.workspace);
}

}  // namespace

void conv3d_forward(const Tensor& x, const Tensor& w, Tensor& y) {
  const Planned c = plan_for(x.shape(), w.shape(), x.dtype(), ConvDirection::forward);
  c.plan.padding->forward(x, w, y, [&c](const Tensor& a, const Tensor& b, Tensor& out) {
    const float one = 1.0f, zero = 0.0f;
    UNET3D_CUDNN_CHECK(cudnnConvolutionForward(
        Context::get().cudnn(), &one, c.plan.d.x, a.data(), c.plan.d.w, b.data(), c.direction.conv,
        static_cast<cudnnConvolutionFwdAlgo_t>(c.direction.algo), workspace_for(c.direction),
        c.direction.workspace, &zero, c.plan.d.y, out.data()));
  });
}

void conv3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  const Planned c = plan_for(dx.shape(), w.shape(), dx.dtype(), ConvDirection::backward_data);
  c.plan.padding->backward_data(dy, w, dx, [&c](const Tensor& a, const Tensor& b, Tensor& out) {
    const float one = 1.0f, zero = 0.0f;
    UNET3D_CUDNN_CHECK(cudnnConvolutionBackwardData(
        Context::get().cudnn(), &one, c.plan.d.w, b.data(), c.plan.d.y, a.data(), c.direction.conv,
        static_cast<cudnnConvolutionBwdDataAlgo_t>(c.direction.algo), workspace_for(c.direction),
        c.direction.workspace, &zero, c.plan.d.x, out.data()));
  });
}

void conv3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw) {
  const Planned c = plan_for(x.shape(), dw.shape(), x.dtype(), ConvDirection::backward_filter);
  c.plan.padding->backward_weights(x, dy, dw, [&c](const Tensor& a, const Tensor& b, Tensor& grad) {
    Context& context = Context::get();
    const float one = 1.0f, zero = 0.0f;
    const auto run = [&](void* out, const float* beta) {
      UNET3D_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
          context.cudnn(), &one, c.plan.d.x, a.data(), c.plan.d.y, b.data(), c.direction.conv,
          static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.direction.algo),
          workspace_for(c.direction), c.direction.workspace, beta, c.plan.d.w, out));
    };
    if (a.dtype() == DType::f32) return run(grad.data(), &one);  // straight into f32
    // f16 data: cuDNN writes an f16 gradient, which is then added into the f32 buffer.
    Tensor half_grad = Tensor::view(context.scratch(static_cast<std::size_t>(grad.numel()) * 2),
                                    grad.shape(), DType::f16, Device::cuda);
    run(half_grad.data(), &zero);
    unet3d::accumulate_into(half_grad, grad);  // the checked entry point
  });
}

std::string conv_planning_report() {
  const PlanningCost& c = planning_cost;
  if (c.plans == 0) return "";
  return concat("cuDNN planning: ", c.plans, " convolution shapes, ", c.directions, " directions (",
                c.timed, " timed by Find, the rest by cuDNN's heuristics), ", c.seconds, " s");
}

namespace {

std::string result_row(ConvDirection direction, bool timed, const AlgorithmResult& r,
                       const AlgorithmRules& rules) {
  const std::string refused = refusal(r, rules);
  char ms[32] = "-";
  if (timed && r.succeeded) std::snprintf(ms, sizeof ms, "%.3f", r.ms);
  return concat("| ", direction_name(direction), " | ", timed ? "Find" : "heuristic", " | ", r.algo,
                " | ", r.status, " | ", ms, " | ", static_cast<double>(r.workspace_bytes) / 1e6,
                " | ", math_name(r.math), " | ", r.deterministic ? "yes" : "no", " | ",
                refused.empty() ? "usable" : refused, " |\n");
}

// "algo 1 (TENSOR_OP_MATH): fastest usable by Find (0.2 ms)", or why nothing was chosen.
std::string chosen(const std::vector<AlgorithmResult>& table, bool timed,
                   const AlgorithmRules& rules, const std::string& what) {
  try {
    const AlgorithmChoice c = choose_algorithm(table, timed, rules, what);
    return concat("algo ", table[c.index].algo, " (", math_name(table[c.index].math),
                  "): ", c.reason);
  } catch (const Error& e) {
    return concat("none: ", e.what());
  }
}

}  // namespace

std::string conv3d_probe(const Shape& x, const Shape& w, DType dtype) {
  Plan p;
  p.x = x, p.w = w, p.dtype = dtype;
  lay_out(p);
  const ConvChannels channels = p.padding->channels();
  const std::string what = shape_text(x, w, dtype);
  std::string text =
      concat("### ", what, "\n\nplanned with ", channels.in, " input and ", channels.out,
             " output channels; ", conv_flops(x, w) / 1e9, " GFLOP per direction\n\n",
             "| direction | source | algo | status | ms | workspace MB | math | "
             "deterministic | verdict (default rules) |\n",
             "|---|---|---|---|---|---|---|---|---|\n");
  std::string choices;
  const AlgorithmRules rules = rules_for(dtype, false), exact = rules_for(dtype, true);
  for (const ConvDirection direction :
       {ConvDirection::forward, ConvDirection::backward_data, ConvDirection::backward_filter}) {
    const std::vector<AlgorithmResult> found = query(direction, p.d, true);
    const std::vector<AlgorithmResult> heuristic = query(direction, p.d, false);
    for (const AlgorithmResult& r : found) text += result_row(direction, true, r, rules);
    for (const AlgorithmResult& r : heuristic) text += result_row(direction, false, r, rules);
    const std::string name = concat(what, " ", direction_name(direction));
    const bool timed = worth_timing(conv_flops(x, w), rules);
    choices +=
        concat("- ", direction_name(direction), ": default rules (", timed ? "Find" : "heuristics",
               "): ", chosen(timed ? found : heuristic, timed, rules, name),
               "; --deterministic: ", chosen(heuristic, false, exact, name), "\n");
  }
  release_descriptors(p);
  return text + "\n" + choices + "\n";
}

}  // namespace unet3d::gpu
