// The losses on CUDA: loss_impl.h with the CUDA loops.
#include "kernels/exec_gpu.cuh"
#include "kernels/loss_impl.h"

namespace unet3d::gpu {

void dice_loss(const Tensor& logits, const Tensor& labels, bool exclude_background,
               bool log_of_loss, Tensor& loss, const LossGradient& grad) {
  with_storage_type("dice_loss", logits, [&](auto s) {
    loss_impl::dice<Exec, decltype(s)>(logits, labels, exclude_background, log_of_loss, loss, grad);
  });
}

void cross_entropy(const Tensor& logits, const Tensor& labels, const Tensor* class_weights,
                   Tensor& loss, const LossGradient& grad) {
  with_storage_type("cross_entropy", logits, [&](auto s) {
    loss_impl::cross_entropy<Exec, decltype(s)>(logits, labels, class_weights, loss, grad);
  });
}

void combine_loss_terms(Tensor& loss, double alpha, double beta) {
  if (loss.dtype() == DType::f64)
    loss_impl::combine_terms<Exec>(static_cast<double*>(loss.data()), alpha, beta);
  else
    loss_impl::combine_terms<Exec>(static_cast<float*>(loss.data()), alpha, beta);
}

}  // namespace unet3d::gpu
