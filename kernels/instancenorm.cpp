// InstanceNorm3d: argument checks, dispatch, and the CPU instantiations.
#include "kernels/instancenorm.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/instancenorm_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::instancenorm_forward);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::instancenorm_backward);

namespace {

// Activations share shape, dtype and device; gamma-like vectors are [C] and the saved
// statistics [N * C], in the parameter dtype, on the same device.
void check_instancenorm(const char* op, std::initializer_list<const Tensor*> activations,
                        std::initializer_list<const Tensor*> per_channel, const Tensor& mean,
                        const Tensor& inv_std) {
  check_same_layout(op, activations);
  const Tensor& x = **activations.begin();
  const DType param = accumulator_dtype(x.dtype());
  for (const Tensor* v : per_channel) check_channel_vector(op, x, *v, param);
  const Shape saved = Shape::vector(x.shape().n * x.shape().c);
  for (const Tensor* v : {&mean, &inv_std})
    UNET3D_USAGE_CHECK(v->shape() == saved && v->dtype() == param && v->device() == x.device(), op,
                       ": saved statistics ", v->describe(), " do not fit ", x.describe(),
                       " (expected ", dtype_name(param), " ", saved.str(), ")");
  // The biased variance of one value is 0: each sample needs two per channel.
  UNET3D_USAGE_CHECK(x.numel() / (x.shape().n * x.shape().c) >= 2, op, ": ", x.describe(),
                     " holds fewer than 2 values per sample and channel");
}

}  // namespace

void instancenorm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                          Tensor& saved_mean, Tensor& saved_inv_std, Tensor& y,
                          const InstanceNormOptions& options) {
  check_instancenorm("instancenorm_forward", {&x, &y}, {&gamma, &beta}, saved_mean, saved_inv_std);
  UNET3D_RUN_ON_DEVICE_OF(x, backend::instancenorm_forward, x, gamma, beta, saved_mean,
                          saved_inv_std, y, options);
}

void instancenorm_backward(const Tensor& x, const Tensor& y, const Tensor& dy, const Tensor& gamma,
                           const Tensor& saved_mean, const Tensor& saved_inv_std, Tensor& dx,
                           Tensor& dgamma, Tensor& dbeta, const InstanceNormOptions& options) {
  check_instancenorm("instancenorm_backward", {&x, &y, &dy, &dx}, {&gamma, &dgamma, &dbeta},
                     saved_mean, saved_inv_std);
  UNET3D_RUN_ON_DEVICE_OF(x, backend::instancenorm_backward, x, y, dy, gamma, saved_mean,
                          saved_inv_std, dx, dgamma, dbeta, options);
}

}  // namespace unet3d
