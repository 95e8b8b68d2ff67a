// BatchNorm3d on CUDA: batchnorm_impl.h instantiated with the CUDA loops.
#include "kernels/batchnorm_impl.h"
#include "kernels/exec_gpu.cuh"

namespace unet3d::gpu {

void batchnorm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                             Tensor& running_mean, Tensor& running_var, Tensor& saved_mean,
                             Tensor& saved_inv_std, Tensor& y, const BatchNormOptions& options) {
  with_storage_type("batchnorm_forward_train", x, [&](auto s) {
    batchnorm_impl::forward_train<Exec, decltype(s)>(x, gamma, beta, running_mean, running_var,
                                                     saved_mean, saved_inv_std, y, options);
  });
}

void batchnorm_forward_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                            const Tensor& running_mean, const Tensor& running_var, Tensor& y,
                            const BatchNormOptions& options) {
  with_storage_type("batchnorm_forward_eval", x, [&](auto s) {
    batchnorm_impl::forward_eval<Exec, decltype(s)>(x, gamma, beta, running_mean, running_var, y,
                                                    options);
  });
}

void batchnorm_backward(const Tensor& x, const Tensor& y, const Tensor& dy, const Tensor& gamma,
                        const Tensor& saved_mean, const Tensor& saved_inv_std, Tensor& dx,
                        Tensor& dgamma, Tensor& dbeta, const BatchNormOptions& options) {
  with_storage_type("batchnorm_backward", x, [&](auto s) {
    batchnorm_impl::backward<Exec, decltype(s)>(x, y, dy, gamma, saved_mean, saved_inv_std, dx,
                                                dgamma, dbeta, options);
  });
}

}  // namespace unet3d::gpu
