// BatchNorm folded into the convolution before it, on the host in double.
#include "layers/batchnorm_folding.h"

#include <cmath>
#include <vector>

#include "kernels/elementwise.h"
#include "runtime/error.h"

namespace unet3d {
namespace {

std::vector<double> host_values(const Tensor& t) {
  const Tensor host = t.to(Device::cpu);
  std::vector<double> values(static_cast<std::size_t>(host.numel()));
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = host.dtype() == DType::f64 ? host.data_as<double>()[i] : host.data_as<float>()[i];
  return values;
}

// `values` of `shape` as a tensor of `dtype` on `device` (the host rounds to f32 or keeps f64;
// a cast makes f16).
Tensor tensor_of(const std::vector<double>& values, Shape shape, DType dtype, Device device) {
  const DType host_dtype = dtype == DType::f64 ? DType::f64 : DType::f32;
  Tensor host(shape, host_dtype, Device::cpu);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (host_dtype == DType::f64)
      host.data_as<double>()[i] = values[i];
    else
      host.data_as<float>()[i] = static_cast<float>(values[i]);
  }
  Tensor moved = host.to(device);
  if (dtype == host_dtype) return moved;
  Tensor converted(shape, dtype, device);
  cast({moved, converted});
  return converted;
}

}  // namespace

FoldedConv fold_batchnorm(const Tensor& weight, const Tensor& gamma, const Tensor& beta,
                          const Tensor& running_mean, const Tensor& running_var, DType compute,
                          double eps) {
  const std::int64_t cout = weight.shape().n;
  for (const Tensor* v : {&gamma, &beta, &running_mean, &running_var})
    UNET3D_USAGE_CHECK(v->numel() == cout, "fold_batchnorm: ", v->describe(),
                       " is not one value per output channel of ", weight.describe());
  std::vector<double> w = host_values(weight);
  const std::vector<double> g = host_values(gamma), b = host_values(beta),
                            mean = host_values(running_mean), var = host_values(running_var);
  const std::size_t row = w.size() / static_cast<std::size_t>(cout);
  std::vector<double> bias(static_cast<std::size_t>(cout));
  for (std::size_t co = 0; co < bias.size(); ++co) {
    const double scale = g[co] / std::sqrt(var[co] + eps);
    for (std::size_t k = 0; k < row; ++k) w[co * row + k] *= scale;
    bias[co] = b[co] - mean[co] * scale;
  }
  return {tensor_of(w, weight.shape(), compute, weight.device()),
          tensor_of(bias, gamma.shape(), compute, weight.device())};
}

}  // namespace unet3d
