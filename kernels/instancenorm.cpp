// InstanceNorm3d: argument checks, dispatch, and the CPU instantiations.
#include "kernels/instancenorm.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/instancenorm_impl.h"

namespace unet3d {

UNET3D_INSTANCENORM_ENTRIES(UNET3D_GPU_ELSEWHERE)

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

void instancenorm_forward(const InstanceNormForwardArgs& a) {
  check_instancenorm("instancenorm_forward", {&a.x, &a.y}, {&a.gamma, &a.beta}, a.saved_mean,
                     a.saved_inv_std);
  UNET3D_RUN_FLOAT(a.x, instancenorm_forward, a);
}

void instancenorm_backward(const InstanceNormBackwardArgs& a) {
  check_instancenorm("instancenorm_backward", {&a.x, &a.y, &a.dy, &a.dx},
                     {&a.gamma, &a.dgamma, &a.dbeta}, a.saved_mean, a.saved_inv_std);
  UNET3D_RUN_FLOAT(a.x, instancenorm_backward, a);
}

}  // namespace unet3d
