// BatchNorm3d: argument checks, dispatch, and the CPU instantiations.
#include "kernels/batchnorm.h"

#include "kernels/batchnorm_impl.h"
#include "kernels/check.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::batchnorm_forward_train);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::batchnorm_forward_eval);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::batchnorm_backward);

namespace {

// Activations share shape, dtype and device; every per-channel vector is [C], in the parameter
// dtype (f64 for f64 activations, else f32), on the same device.
void check_batchnorm(const char* op, std::initializer_list<const Tensor*> activations,
                     std::initializer_list<const Tensor*> vectors) {
  check_same_layout(op, activations);
  const Tensor& x = **activations.begin();
  const DType param = accumulator_dtype(x.dtype());
  for (const Tensor* v : vectors) check_channel_vector(op, x, *v, param);
}

}  // namespace

void batchnorm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                             Tensor& running_mean, Tensor& running_var, Tensor& saved_mean,
                             Tensor& saved_inv_std, Tensor& y, const BatchNormOptions& options) {
  check_batchnorm("batchnorm_forward_train", {&x, &y},
                  {&gamma, &beta, &running_mean, &running_var, &saved_mean, &saved_inv_std});
  // The unbiased variance divides by (values per channel - 1).
  UNET3D_USAGE_CHECK(x.numel() / x.shape().c >= 2, "batchnorm_forward_train: ", x.describe(),
                     " holds fewer than 2 values per channel");
  UNET3D_RUN_ON_DEVICE_OF(x, backend::batchnorm_forward_train, x, gamma, beta, running_mean,
                          running_var, saved_mean, saved_inv_std, y, options);
}

void batchnorm_forward_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                            const Tensor& running_mean, const Tensor& running_var, Tensor& y,
                            const BatchNormOptions& options) {
  check_batchnorm("batchnorm_forward_eval", {&x, &y}, {&gamma, &beta, &running_mean, &running_var});
  UNET3D_RUN_ON_DEVICE_OF(x, backend::batchnorm_forward_eval, x, gamma, beta, running_mean,
                          running_var, y, options);
}

void batchnorm_backward(const Tensor& x, const Tensor& y, const Tensor& dy, const Tensor& gamma,
                        const Tensor& saved_mean, const Tensor& saved_inv_std, Tensor& dx,
                        Tensor& dgamma, Tensor& dbeta, const BatchNormOptions& options) {
  check_batchnorm("batchnorm_backward", {&x, &y, &dy, &dx},
                  {&gamma, &saved_mean, &saved_inv_std, &dgamma, &dbeta});
  UNET3D_RUN_ON_DEVICE_OF(x, backend::batchnorm_backward, x, y, dy, gamma, saved_mean,
                          saved_inv_std, dx, dgamma, dbeta, options);
}

}  // namespace unet3d
