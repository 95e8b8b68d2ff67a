// BatchNorm3d: argument checks, dispatch, and the CPU instantiations.
#include "kernels/batchnorm.h"

#include "kernels/batchnorm_impl.h"
#include "kernels/check.h"
#include "kernels/exec_cpu.h"

namespace unet3d {

UNET3D_BATCHNORM_ENTRIES(UNET3D_GPU_ELSEWHERE)

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

void batchnorm_forward_train(const BatchNormForwardTrainArgs& a) {
  check_batchnorm(
      "batchnorm_forward_train", {&a.x, &a.y},
      {&a.gamma, &a.beta, &a.running_mean, &a.running_var, &a.saved_mean, &a.saved_inv_std});
  // The unbiased variance divides by (values per channel - 1).
  UNET3D_USAGE_CHECK(a.x.numel() / a.x.shape().c >= 2, "batchnorm_forward_train: ", a.x.describe(),
                     " holds fewer than 2 values per channel");
  UNET3D_RUN_FLOAT(a.x, batchnorm_forward_train, a);
}

void batchnorm_forward_eval(const BatchNormForwardEvalArgs& a) {
  check_batchnorm("batchnorm_forward_eval", {&a.x, &a.y},
                  {&a.gamma, &a.beta, &a.running_mean, &a.running_var});
  UNET3D_RUN_FLOAT(a.x, batchnorm_forward_eval, a);
}

void batchnorm_backward(const BatchNormBackwardArgs& a) {
  check_batchnorm("batchnorm_backward", {&a.x, &a.y, &a.dy, &a.dx},
                  {&a.gamma, &a.saved_mean, &a.saved_inv_std, &a.dgamma, &a.dbeta});
  UNET3D_RUN_FLOAT(a.x, batchnorm_backward, a);
}

}  // namespace unet3d
