// Conv3d on CUDA through cuDNN's legacy API. Each (input shape, kernel, dtype, determinism) gets
// a plan when first used: NDHWC descriptors for its planned channel counts (zero-padded where
// cuDNN's kernels want it), and, for each direction only when that direction first runs, the
// algorithm layers/conv_algorithm.h chooses from what cuDNN offers, with its own convolution
// descriptor set to the chosen result's math type (a descriptor with another math type runs
// another kernel). Plans live for the process; workspaces come from the CUDA context.
#include "layers/conv3d_cudnn.h"

#include <cudnn.h>

#include <array>
#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

#include "kernels/accumulate.h"
#include "layers/conv3d_padded.h"
#include "layers/conv_descriptors.h"
#include "layers/conv_plans.h"
#include "runtime/cuda_context.h"
#include "runtime/error.h"
#include "runtime/log.h"

namespace unet3d::gpu {
namespace {

cudnnDataType_t cudnn_type(DType t) {
  return is_f16_not_f32(t, "conv3d on CUDA") ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
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

// A cuDNN descriptor, destroyed with its owner. Move-only.
template <class T, cudnnStatus_t (*Destroy)(T)>
class Owned {
 public:
  Owned() = default;
  explicit Owned(T handle) : handle_(handle) {}
  Owned(Owned&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)) {}
  Owned& operator=(Owned&& o) noexcept {
    std::swap(handle_, o.handle_);
    return *this;
  }
  ~Owned() {
    if (handle_ != nullptr) Destroy(handle_);
  }
  T get() const { return handle_; }

 private:
  T handle_ = nullptr;
};
using TensorDescriptor = Owned<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor>;
using FilterDescriptor = Owned<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor>;
using ConvDescriptor = Owned<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor>;

ConvDescriptor conv_descriptor(const CudnnConvArrays& a, cudnnMathType_t math) {
  cudnnConvolutionDescriptor_t d;
  UNET3D_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d));
  ConvDescriptor owned(d);
  // f32 accumulation for f16 data too.
  UNET3D_CUDNN_CHECK(cudnnSetConvolutionNdDescriptor(d, 3, a.pads.data(), a.strides.data(),
                                                     a.dilations.data(), CUDNN_CROSS_CORRELATION,
                                                     CUDNN_DATA_FLOAT));
  UNET3D_CUDNN_CHECK(cudnnSetConvolutionMathType(d, math));
  return owned;
}

TensorDescriptor tensor_descriptor(const CudnnTensorArrays& a, cudnnDataType_t type) {
  cudnnTensorDescriptor_t d;
  UNET3D_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d));
  TensorDescriptor owned(d);
  UNET3D_CUDNN_CHECK(cudnnSetTensorNdDescriptor(d, type, 5, a.dims.data(), a.strides.data()));
  return owned;
}

FilterDescriptor filter_descriptor(const std::array<int, 5>& dims, cudnnDataType_t type) {
  cudnnFilterDescriptor_t d;
  UNET3D_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d));
  FilterDescriptor owned(d);
  UNET3D_CUDNN_CHECK(cudnnSetFilterNdDescriptor(d, type, CUDNN_TENSOR_NHWC, 5, dims.data()));
  return owned;
}

std::string shape_text(const ConvKey& k) {
  return concat("conv3d x ", k.x.str(), " w ", k.w.str(), " ", dtype_name(k.dtype));
}

// One convolution laid out at its planned channel counts: the padding, and descriptors for the
// padded shapes. `query` carries the math type cuDNN is asked with (tensor ops for f16, FMA for
// f32); each direction executes with a descriptor of its own.
struct Layout {
  std::unique_ptr<PaddedConv3d> padding;
  TensorDescriptor x, y;
  FilterDescriptor w;
  ConvDescriptor query;
  CudnnConvArrays conv;
};

Layout lay_out(const ConvKey& k, bool refused_as_is) {
  const ConvChannels channels = planned_channels(k.w, k.dtype, refused_as_is);
  const cudnnDataType_t type = cudnn_type(k.dtype);
  const CudnnConvDescriptors arrays = conv_descriptors(k.x, k.w, channels);
  Layout l;
  l.padding = std::make_unique<PaddedConv3d>(k.x, k.w, k.dtype, Device::cuda, channels);
  l.conv = arrays.conv;
  l.x = tensor_descriptor(arrays.x, type);
  l.y = tensor_descriptor(arrays.y, type);
  l.w = filter_descriptor(arrays.w, type);
  l.query = conv_descriptor(l.conv, k.dtype == DType::f16 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH);
  if (l.padding->pads())
    log_info(shape_text(k), ": channels padded with zeros to ", channels.in, " in, ", channels.out,
             " out",
             refused_as_is ? " (cuDNN offered no algorithm for them as they are)"
                           : " (cuDNN's NDHWC f16 kernels take multiples of 8)");
  return l;
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

// cuDNN's results for one direction: `ask(handle, max, &count, results)` runs Find or the
// heuristics with the direction's descriptors.
template <class Perf, class Ask>
std::vector<AlgorithmResult> results(cudnnStatus_t (*max_count)(cudnnHandle_t, int*), Ask ask,
                                     bool timed) {
  cudnnHandle_t h = Context::get().cudnn();
  int max = 0, count = 0;
  UNET3D_CUDNN_CHECK(max_count(h, &max));
  std::vector<Perf> perf(static_cast<std::size_t>(max));
  UNET3D_CUDNN_CHECK(ask(h, max, &count, perf.data()));
  return results_of(perf, count, timed);
}

// What cuDNN offers for one direction: every algorithm timed by Find, or its heuristic order.
std::vector<AlgorithmResult> query(ConvDirection direction, const Layout& l, bool timed) {
  const auto x = l.x.get(), y = l.y.get();
  const auto w = l.w.get();
  const auto q = l.query.get();
  switch (direction) {
    case ConvDirection::forward:
      return results<cudnnConvolutionFwdAlgoPerf_t>(
          cudnnGetConvolutionForwardAlgorithmMaxCount,
          [&](cudnnHandle_t h, int max, int* count, cudnnConvolutionFwdAlgoPerf_t* perf) {
            return timed ? cudnnFindConvolutionForwardAlgorithm(h, x, w, q, y, max, count, perf)
                         : cudnnGetConvolutionForwardAlgorithm_v7(h, x, w, q, y, max, count, perf);
          },
          timed);
    case ConvDirection::backward_data:
      return results<cudnnConvolutionBwdDataAlgoPerf_t>(
          cudnnGetConvolutionBackwardDataAlgorithmMaxCount,
          [&](cudnnHandle_t h, int max, int* count, cudnnConvolutionBwdDataAlgoPerf_t* perf) {
            return timed
                       ? cudnnFindConvolutionBackwardDataAlgorithm(h, w, y, q, x, max, count, perf)
                       : cudnnGetConvolutionBackwardDataAlgorithm_v7(h, w, y, q, x, max, count,
                                                                     perf);
          },
          timed);
    case ConvDirection::backward_filter:
      return results<cudnnConvolutionBwdFilterAlgoPerf_t>(
          cudnnGetConvolutionBackwardFilterAlgorithmMaxCount,
          [&](cudnnHandle_t h, int max, int* count, cudnnConvolutionBwdFilterAlgoPerf_t* perf) {
            return timed ? cudnnFindConvolutionBackwardFilterAlgorithm(h, x, y, q, w, max, count,
                                                                       perf)
                         : cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, x, y, q, w, max, count,
                                                                         perf);
          },
          timed);
  }
  return {};
}

double conv_flops(const ConvKey& k) {
  return 2.0 * static_cast<double>(k.x.numel() / k.x.c) * static_cast<double>(k.w.n * k.w.c) *
         static_cast<double>(k.w.d * k.w.h * k.w.w);
}

AlgorithmRules rules_for(DType dtype, bool deterministic) {
  return {dtype == DType::f32, deterministic, std::size_t{1} << 30};
}

// A direction's algorithm, and a descriptor set to the chosen result's math type.
struct Choice {
  ConvDescriptor conv;
  int algo = 0;
  std::size_t workspace = 0;
};

int timed_choices = 0;  // directions planned by Find, for the report

Choice choose(Layout& l, const ConvKey& k, ConvDirection direction) {
  const AlgorithmRules rules = rules_for(k.dtype, k.deterministic);
  const bool timed = worth_timing(conv_flops(k), rules);
  const std::vector<AlgorithmResult> table = query(direction, l, timed);
  const AlgorithmChoice choice =
      choose_algorithm(table, timed, rules, concat(shape_text(k), " ", direction_name(direction)));
  const AlgorithmResult& r = table[choice.index];
  timed_choices += timed ? 1 : 0;
  return {conv_descriptor(l.conv, cudnn_math(r.math)), r.algo, r.workspace_bytes};
}

using Plans = ConvPlans<Layout, Choice>;

// Never destroyed, like the context: at exit the CUDA libraries may already be unloading.
Plans& plans() {
  static Plans* p = new Plans(lay_out, choose);
  return *p;
}

Plans::Planned plan_for(const Shape& x, const Shape& w, DType dtype, ConvDirection direction) {
  return plans().get({x, w, dtype, deterministic_convolutions()}, direction);
}

void* workspace_for(const Choice& c) {
  return Context::get().workspace(c.workspace);
}

}  // namespace

void conv3d_forward(const Tensor& x, const Tensor& w, Tensor& y) {
  const Plans::Planned c = plan_for(x.shape(), w.shape(), x.dtype(), ConvDirection::forward);
  c.layout.padding->forward(x, w, y, [&c](const Tensor& a, const Tensor& b, Tensor& out) {
    const float one = 1.0f, zero = 0.0f;
    UNET3D_CUDNN_CHECK(cudnnConvolutionForward(
        Context::get().cudnn(), &one, c.layout.x.get(), a.data(), c.layout.w.get(), b.data(),
        c.choice.conv.get(), static_cast<cudnnConvolutionFwdAlgo_t>(c.choice.algo),
        workspace_for(c.choice), c.choice.workspace, &zero, c.layout.y.get(), out.data()));
  });
}

void conv3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  const Plans::Planned c =
      plan_for(dx.shape(), w.shape(), dx.dtype(), ConvDirection::backward_data);
  c.layout.padding->backward_data(dy, w, dx, [&c](const Tensor& a, const Tensor& b, Tensor& out) {
    const float one = 1.0f, zero = 0.0f;
    UNET3D_CUDNN_CHECK(cudnnConvolutionBackwardData(
        Context::get().cudnn(), &one, c.layout.w.get(), b.data(), c.layout.y.get(), a.data(),
        c.choice.conv.get(), static_cast<cudnnConvolutionBwdDataAlgo_t>(c.choice.algo),
        workspace_for(c.choice), c.choice.workspace, &zero, c.layout.x.get(), out.data()));
  });
}

void conv3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw) {
  const Plans::Planned c =
      plan_for(x.shape(), dw.shape(), x.dtype(), ConvDirection::backward_filter);
  c.layout.padding->backward_weights(
      x, dy, dw, [&c](const Tensor& a, const Tensor& b, Tensor& grad) {
        Context& context = Context::get();
        const float one = 1.0f, zero = 0.0f;
        const auto run = [&](void* out, const float* beta) {
          UNET3D_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
              context.cudnn(), &one, c.layout.x.get(), a.data(), c.layout.y.get(), b.data(),
              c.choice.conv.get(), static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.choice.algo),
              workspace_for(c.choice), c.choice.workspace, beta, c.layout.w.get(), out));
        };
        if (a.dtype() == DType::f32) return run(grad.data(), &one);  // straight into f32
        // f16 data: cuDNN writes an f16 gradient, which is then added into the f32 buffer.
        Tensor half_grad = Tensor::view(context.scratch(static_cast<std::size_t>(grad.numel()) * 2),
                                        grad.shape(), DType::f16, Device::cuda);
        run(half_grad.data(), &zero);
        unet3d::accumulate_into({half_grad, grad});  // the checked entry point
      });
}

std::string conv_planning_report() {
  const PlanningCost& c = plans().cost();
  if (c.plans == 0) return "";
  return concat("cuDNN planning: ", c.plans, " convolution shapes, ", c.directions, " directions (",
                timed_choices, " timed by Find, the rest by cuDNN's heuristics",
                c.relayouts > 0 ? concat("; ", c.relayouts, " padded after a refusal") : "", "), ",
                c.seconds, " s");
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
  const ConvKey key{x, w, dtype, false};
  const std::string what = shape_text(key);
  const AlgorithmRules rules = rules_for(dtype, false), exact = rules_for(dtype, true);
  std::string text =
      concat("### ", what, "\n\n", conv_flops(key) / 1e9, " GFLOP per direction\n\n");
  // One layout: every direction's table and choices; whether each direction has a usable
  // algorithm under the default rules. A direction cuDNN answers with an error gets a row
  // saying so, and the probe goes on with the next.
  const auto probe = [&](bool refused_as_is) {
    const Layout layout = lay_out(key, refused_as_is);
    const ConvChannels channels = layout.padding->channels();
    text += concat("planned with ", channels.in, " input and ", channels.out, " output channels",
                   refused_as_is ? " (padded, as training pads a refused layout)" : "", "\n\n",
                   "| direction | source | algo | status | ms | workspace MB | math | "
                   "deterministic | verdict (default rules) |\n",
                   "|---|---|---|---|---|---|---|---|---|\n");
    std::string choices;
    bool usable = true;
    for (const ConvDirection direction :
         {ConvDirection::forward, ConvDirection::backward_data, ConvDirection::backward_filter}) {
      const std::string name = concat(what, " ", direction_name(direction));
      try {
        const std::vector<AlgorithmResult> found = query(direction, layout, true);
        const std::vector<AlgorithmResult> heuristic = query(direction, layout, false);
        for (const AlgorithmResult& r : found) text += result_row(direction, true, r, rules);
        for (const AlgorithmResult& r : heuristic) text += result_row(direction, false, r, rules);
        const bool timed = worth_timing(conv_flops(key), rules);
        const std::string chosen_now = chosen(timed ? found : heuristic, timed, rules, name);
        usable = usable && !chosen_now.starts_with("none");
        choices += concat("- ", direction_name(direction), ": default rules (",
                          timed ? "Find" : "heuristics", "): ", chosen_now,
                          "; --deterministic: ", chosen(heuristic, false, exact, name), "\n");
      } catch (const Error& e) {
        usable = false;
        text += concat("| ", direction_name(direction), " | - | - | error: ", e.what(),
                       " | | | | | |\n");
      }
    }
    text += "\n" + choices + "\n";
    return usable;
  };
  for (const ProbeAttempt& a : probe_layouts(key, probe))
    if (!a.error.empty())
      text += concat("**error** (", a.padded ? "padded" : "as planned", "): ", a.error, "\n\n");
  return text;
}

}  // namespace unet3d::gpu
