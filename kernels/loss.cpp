// The losses: argument checks, dispatch, and the combined loss composed from the other two.
#include "kernels/loss.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/loss_impl.h"

namespace unet3d {

UNET3D_GPU_INSTANCE_ELSEWHERE(backend::dice_loss);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::cross_entropy);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::combine_loss_terms);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::tally_loss);
UNET3D_GPU_INSTANCE_ELSEWHERE(backend::mark_loss_step);

namespace {

void check_loss(const char* op, const Tensor& logits, const Tensor& labels, const Tensor& loss,
                Shape loss_shape, const LossGradient& grad) {
  const Shape& s = logits.shape();
  UNET3D_USAGE_CHECK(s.c >= 2 && s.c <= kMaxClasses, op, ": logits ", logits.describe(),
                     " must have 2 to ", kMaxClasses, " classes");
  UNET3D_USAGE_CHECK(labels.shape() == s.with_channels(1) && labels.dtype() == DType::u8 &&
                         labels.device() == logits.device(),
                     op, ": labels ", labels.describe(), " do not fit logits ", logits.describe());
  UNET3D_USAGE_CHECK(loss.shape() == loss_shape &&
                         loss.dtype() == accumulator_dtype(logits.dtype()) &&
                         loss.device() == logits.device(),
                     op, ": loss ", loss.describe(), " should be ",
                     dtype_name(accumulator_dtype(logits.dtype())), " ", loss_shape.str());
  if (grad.dlogits != nullptr) check_same_layout(op, {&logits, grad.dlogits});
}

void dice(const char* op, const Tensor& logits, const Tensor& labels, bool exclude_background,
          bool log_of_loss, Tensor& loss, const LossGradient& grad) {
  check_loss(op, logits, labels, loss, Shape::scalar(), grad);
  UNET3D_RUN_ON_DEVICE_OF(logits, backend::dice_loss, logits, labels, exclude_background,
                          log_of_loss, loss, grad);
}

}  // namespace

void dice_loss(const Tensor& logits, const Tensor& labels, bool exclude_background, Tensor& loss,
               const LossGradient& grad) {
  dice("dice_loss", logits, labels, exclude_background, false, loss, grad);
}

void log_dice_loss(const Tensor& logits, const Tensor& labels, bool exclude_background,
                   Tensor& loss, const LossGradient& grad) {
  dice("log_dice_loss", logits, labels, exclude_background, true, loss, grad);
}

void cross_entropy(const Tensor& logits, const Tensor& labels, const Tensor* class_weights,
                   Tensor& loss, const LossGradient& grad) {
  check_loss("cross_entropy", logits, labels, loss, Shape::scalar(), grad);
  if (class_weights != nullptr)
    check_channel_vector("cross_entropy", logits, *class_weights,
                         accumulator_dtype(logits.dtype()));
  UNET3D_RUN_ON_DEVICE_OF(logits, backend::cross_entropy, logits, labels, class_weights, loss,
                          grad);
}

void combined_loss(const Tensor& logits, const Tensor& labels, const Tensor& class_weights,
                   double alpha, double beta, bool exclude_background, Tensor& loss,
                   const LossGradient& grad) {
  check_loss("combined_loss", logits, labels, loss, Shape::vector(3), grad);
  // The two terms land in loss[1] and loss[2] through one-element views (no allocation).
  const std::size_t element = dtype_size(loss.dtype());
  Tensor wce = Tensor::view(static_cast<char*>(loss.data()) + element, Shape::scalar(),
                            loss.dtype(), loss.device());
  Tensor log_dice = Tensor::view(static_cast<char*>(loss.data()) + 2 * element, Shape::scalar(),
                                 loss.dtype(), loss.device());
  // The Dice term first: writing (not adding to) the gradient, it can stage its probabilities
  // in the gradient buffer.
  log_dice_loss(logits, labels, exclude_background, log_dice,
                {grad.dlogits, grad.scale * beta, grad.accumulate, grad.ranks, grad.loss_scale});
  cross_entropy(logits, labels, &class_weights, wce,
                {grad.dlogits, grad.scale * alpha, true, grad.ranks, grad.loss_scale});
  UNET3D_RUN_ON_DEVICE_OF(logits, backend::combine_loss_terms, loss, alpha, beta);
}

namespace {

void check_tally(const char* op, const Tensor& tally) {
  UNET3D_USAGE_CHECK(tally.dtype() == DType::f64 && tally.numel() == kLossTally, op, ": tally ",
                     tally.describe(), " must be ", kLossTally, " f64 values");
}

}  // namespace

void LossTerms::add(const Tensor& loss, double weight) {
  UNET3D_USAGE_CHECK(count < kMax, "tally_loss: more than ", kMax, " loss terms");
  UNET3D_USAGE_CHECK(
      (loss.dtype() == DType::f32 || loss.dtype() == DType::f64) && loss.numel() >= 1 &&
          (count == 0 || (f64 == (loss.dtype() == DType::f64) && device == loss.device())),
      "tally_loss: loss ", loss.describe(),
      " must be f32 or f64 and on the device the other terms are");
  f64 = loss.dtype() == DType::f64;
  device = loss.device();
  values[count] = loss.data();
  weights[count] = weight;
  ++count;
}

void tally_loss(const LossTerms& terms, Tensor& tally) {
  check_tally("tally_loss", tally);
  UNET3D_USAGE_CHECK(terms.count == 0 || terms.device == tally.device(),
                     "tally_loss: terms on the ", device_name(terms.device), ", tally ",
                     tally.describe());
  UNET3D_RUN_ON_DEVICE_OF(tally, backend::tally_loss, terms, tally);
}

void mark_loss_step(Tensor& tally) {
  check_tally("mark_loss_step", tally);
  UNET3D_RUN_ON_DEVICE_OF(tally, backend::mark_loss_step, tally);
}

}  // namespace unet3d
