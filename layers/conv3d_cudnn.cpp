// Conv3d on CUDA through cuDNN's legacy API. Each (input shape, kernel, dtype) gets a plan once:
// NDHWC descriptors, math type (tensor ops for f16 with f32 accumulation; plain FMA for f32,
// so no TF32), and the fastest algorithm of each direction found by cuDNN's timing. Plans live
// for the process. Workspaces come from the CUDA context.
#include <cudnn.h>

#include <map>
#include <tuple>

#include "kernels/accumulate.h"
#include "layers/conv3d.h"
#include "runtime/cuda_context.h"
#include "runtime/error.h"

namespace unet3d::gpu {
namespace {

// Algorithms needing more workspace than this are passed over.
constexpr std::size_t kMaxWorkspace = std::size_t{1} << 30;
constexpr int kCandidates = 8;

struct Plan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t forward{};
  cudnnConvolutionBwdDataAlgo_t backward_data{};
  cudnnConvolutionBwdFilterAlgo_t backward_filter{};
  std::size_t forward_bytes = 0, data_bytes = 0, filter_bytes = 0;
};

cudnnDataType_t cudnn_type(const Tensor& t) {
  if (t.dtype() == DType::f16) return CUDNN_DATA_HALF;
  UNET3D_USAGE_CHECK(t.dtype() == DType::f32, "conv3d on CUDA: dtype of ", t.describe(),
                     " (needs f16 or f32)");
  return CUDNN_DATA_FLOAT;
}

cudnnTensorDescriptor_t tensor_descriptor(const Shape& s, cudnnDataType_t type) {
  cudnnTensorDescriptor_t d;
  UNET3D_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d));
  const int dims[5] = {static_cast<int>(s.n), static_cast<int>(s.c), static_cast<int>(s.d),
                       static_cast<int>(s.h), static_cast<int>(s.w)};
  UNET3D_CUDNN_CHECK(cudnnSetTensorNdDescriptorEx(d, CUDNN_TENSOR_NHWC, type, 5, dims));
  return d;
}

// The first (fastest) result that succeeded, fits the workspace limit and, for f32, does not
// use tensor-op math (TF32).
template <class Perf>
const Perf& pick(const Perf* results, int count, bool allow_tensor_ops, const char* direction) {
  for (int i = 0; i < count; ++i) {
    const Perf& r = results[i];
    if (r.status == CUDNN_STATUS_SUCCESS && r.memory <= kMaxWorkspace &&
        (allow_tensor_ops || r.mathType == CUDNN_DEFAULT_MATH || r.mathType == CUDNN_FMA_MATH))
      return r;
  }
  throw_error(ErrorKind::runtime, concat("cuDNN offers no usable ", direction, " algorithm"),
              __FILE__, __LINE__);
}

Plan make_plan(const Tensor& x, const Shape& k) {
  const cudnnDataType_t type = cudnn_type(x);
  const bool half = type == CUDNN_DATA_HALF;
  const int pad = static_cast<int>((k.d - 1) / 2);
  Plan p;
  p.x = tensor_descriptor(x.shape(), type);
  p.y = tensor_descriptor(x.shape().with_channels(k.n), type);
  UNET3D_CUDNN_CHECK(cudnnCreateFilterDescriptor(&p.w));
  const int filter[5] = {static_cast<int>(k.n), static_cast<int>(k.c), static_cast<int>(k.d),
                         static_cast<int>(k.h), static_cast<int>(k.w)};
  UNET3D_CUDNN_CHECK(cudnnSetFilterNdDescriptor(p.w, type, CUDNN_TENSOR_NHWC, 5, filter));
  UNET3D_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&p.conv));
  const int pads[3] = {pad, pad, pad}, ones[3] = {1, 1, 1};
  UNET3D_CUDNN_CHECK(cudnnSetConvolutionNdDescriptor(p.conv, 3, pads, ones, ones,
                                                     CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  UNET3D_CUDNN_CHECK(
      cudnnSetConvolutionMathType(p.conv, half ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));

  cudnnHandle_t handle = Context::get().cudnn();
  int count = 0;
  cudnnConvolutionFwdAlgoPerf_t fwd[kCandidates];
  UNET3D_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(handle, p.x, p.w, p.conv, p.y,
                                                          kCandidates, &count, fwd));
  const auto& f = pick(fwd, count, half, "forward");
  p.forward = f.algo;
  p.forward_bytes = f.memory;
  cudnnConvolutionBwdDataAlgoPerf_t data[kCandidates];
  UNET3D_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(handle, p.w, p.y, p.conv, p.x,
                                                               kCandidates, &count, data));
  const auto& d = pick(data, count, half, "backward-data");
  p.backward_data = d.algo;
  p.data_bytes = d.memory;
  cudnnConvolutionBwdFilterAlgoPerf_t filter_perf[kCandidates];
  UNET3D_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(handle, p.x, p.y, p.conv, p.w,
                                                                 kCandidates, &count, filter_perf));
  const auto& g = pick(filter_perf, count, half, "backward-filter");
  p.backward_filter = g.algo;
  p.filter_bytes = g.memory;
  return p;
}

// The plan for input x and kernel shape k ([Cout, k, k, k, Cin]).
const Plan& plan_for(const Tensor& x, const Shape& k) {
  using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                         std::int64_t, std::int64_t, DType>;
  static std::map<Key, Plan> plans;  // one device at a time, one thread drives it
  const Shape& s = x.shape();
  const Key key{s.n, s.d, s.h, s.w, s.c, k.n, k.d, x.dtype()};
  auto found = plans.find(key);
  if (found == plans.end()) found = plans.emplace(key, make_plan(x, k)).first;
  return found->second;
}

}  // namespace

void conv3d_forward(const Tensor& x, const Tensor& w, Tensor& y) {
  const Plan& p = plan_for(x, w.shape());
  Context& context = Context::get();
  const float one = 1.0f, zero = 0.0f;
  UNET3D_CUDNN_CHECK(cudnnConvolutionForward(context.cudnn(), &one, p.x, x.data(), p.w, w.data(),
                                             p.conv, p.forward, context.workspace(p.forward_bytes),
                                             p.forward_bytes, &zero, p.y, y.data()));
}

void conv3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  const Plan& p = plan_for(dx, w.shape());
  Context& context = Context::get();
  const float one = 1.0f, zero = 0.0f;
  UNET3D_CUDNN_CHECK(cudnnConvolutionBackwardData(
      context.cudnn(), &one, p.w, w.data(), p.y, dy.data(), p.conv, p.backward_data,
      context.workspace(p.data_bytes), p.data_bytes, &zero, p.x, dx.data()));
}

void conv3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw) {
  Context& context = Context::get();
  const float one = 1.0f, zero = 0.0f;
  const Plan& p = plan_for(x, dw.shape());
  if (x.dtype() == DType::f32) {  // cuDNN accumulates straight into the f32 gradient
    UNET3D_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
        context.cudnn(), &one, p.x, x.data(), p.y, dy.data(), p.conv, p.backward_filter,
        context.workspace(p.filter_bytes), p.filter_bytes, &one, p.w, dw.data()));
    return;
  }
  // f16 data: cuDNN writes an f16 gradient, which is then added into the f32 buffer.
  Tensor half_grad = Tensor::view(context.scratch(dw.numel() * sizeof(std::uint16_t)), dw.shape(),
                                  DType::f16, Device::cuda);
  UNET3D_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      context.cudnn(), &one, p.x, x.data(), p.y, dy.data(), p.conv, p.backward_filter,
      context.workspace(p.filter_bytes), p.filter_bytes, &zero, p.w, half_grad.data()));
  gpu::accumulate_into(half_grad, dw);
}

}  // namespace unet3d::gpu
