// BatchNorm folded into the convolution before it, on the host in double.
#include "layers/batchnorm_folding.h"

#include <cmath>
#include <vector>

#include "layers/host_values.h"
#include "runtime/error.h"

namespace unet3d {

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
  return {tensor_of_values(w, weight.shape(), compute, weight.device()),
          tensor_of_values(bias, gamma.shape(), compute, weight.device())};
}

}  // namespace unet3d
