// The losses: argument checks, dispatch, and the combined loss composed from the other two.
#include "kernels/loss.h"

#include "kernels/check.h"
#include "kernels/exec_cpu.h"
#include "kernels/loss_impl.h"

namespace unet3d {

UNET3D_LOSS_ENTRIES(UNET3D_GPU_ELSEWHERE)

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

// dice_loss, or log_dice_loss where log_of_loss.
void dice(const char* op, const DiceLossArgs& a, bool log_of_loss) {
  check_loss(op, a.logits, a.labels, a.loss, Shape::scalar(), a.grad);
  UNET3D_RUN_FLOAT(a.logits, dice_loss, a, log_of_loss);
}

}  // namespace

void dice_loss(const DiceLossArgs& a) {
  dice("dice_loss", a, false);
}

void log_dice_loss(const DiceLossArgs& a) {
  dice("log_dice_loss", a, true);
}

void cross_entropy(const CrossEntropyArgs& a) {
  check_loss("cross_entropy", a.logits, a.labels, a.loss, Shape::scalar(), a.grad);
  if (a.class_weights != nullptr)
    check_channel_vector("cross_entropy", a.logits, *a.class_weights,
                         accumulator_dtype(a.logits.dtype()));
  UNET3D_RUN_FLOAT(a.logits, cross_entropy, a);
}

void combined_loss(const CombinedLossArgs& a) {
  check_loss("combined_loss", a.logits, a.labels, a.loss, Shape::vector(3), a.grad);
  // The two terms land in loss[1] and loss[2] through one-element views (no allocation).
  const std::size_t element = dtype_size(a.loss.dtype());
  auto* first = static_cast<char*>(a.loss.data());
  Tensor wce = Tensor::view(first + element, Shape::scalar(), a.loss.dtype(), a.loss.device());
  Tensor log_dice =
      Tensor::view(first + 2 * element, Shape::scalar(), a.loss.dtype(), a.loss.device());
  const LossGradient& g = a.grad;
  // The Dice term first: writing (not adding to) the gradient, it can stage its probabilities
  // in the gradient buffer.
  log_dice_loss({a.logits,
                 a.labels,
                 a.exclude_background,
                 log_dice,
                 {g.dlogits, g.scale * a.beta, g.accumulate, g.ranks, g.loss_scale}});
  cross_entropy({a.logits,
                 a.labels,
                 &a.class_weights,
                 wce,
                 {g.dlogits, g.scale * a.alpha, true, g.ranks, g.loss_scale}});
  UNET3D_RUN_ON_DEVICE_OF(a.logits, combine_loss_terms, a.loss, a.alpha, a.beta);
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

void tally_loss(const TallyLossArgs& a) {
  check_tally("tally_loss", a.tally);
  UNET3D_USAGE_CHECK(a.terms.count == 0 || a.terms.device == a.tally.device(),
                     "tally_loss: terms on the ", device_name(a.terms.device), ", tally ",
                     a.tally.describe());
  UNET3D_RUN_ON_DEVICE_OF(a.tally, tally_loss, a);
}

void mark_loss_step(const MarkLossStepArgs& a) {
  check_tally("mark_loss_step", a.tally);
  UNET3D_RUN_ON_DEVICE_OF(a.tally, mark_loss_step, a);
}

}  // namespace unet3d
