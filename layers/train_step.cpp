// One training step: micro-batches with their losses, and the optimizer step.
#include "layers/train_step.h"

#include "kernels/loss.h"

namespace unet3d {

TrainingStep::TrainingStep(UNet3D& net, Optimizer& optimizer, LossScaler& scaler,
                           const LossOptions& loss, const Tensor* class_weights, int accum)
    : net_(net),
      optimizer_(optimizer),
      scaler_(scaler),
      loss_options_(loss),
      class_weights_(class_weights),
      accum_(accum),
      labels_(net.input().shape().with_channels(1), DType::u8, net.device()),
      loss_(loss.kind == LossKind::combined ? Shape::vector(3) : Shape::scalar(),
            master_dtype(net.precision()), net.device()),
      loss_host_(loss_.shape(), loss_.dtype(), Device::cpu),
      ce_loss_(Shape::scalar(), loss_.dtype(), net.device()),
      ce_loss_host_(Shape::scalar(), loss_.dtype(), Device::cpu) {
  UNET3D_USAGE_CHECK(accum >= 1, "--accum: ", accum, " (needs at least 1 micro-batch per step)");
  const bool weighted = loss.kind == LossKind::wce || loss.kind == LossKind::combined;
  UNET3D_USAGE_CHECK(!weighted || class_weights != nullptr,
                     "the wce and combined losses need class weights");
}

double TrainingStep::loss_on(const Tensor& logits, Tensor* grad) {
  // Evaluation (no gradient) scores this rank's own batch.
  RankSums* ranks = grad != nullptr ? loss_sums_ : nullptr;
  const LossGradient g{grad, scaler_.scale() / accum_, false, ranks};
  const Tensor& labels = labels_;
  switch (loss_options_.kind) {
    case LossKind::dice:
      dice_loss(logits, labels, loss_options_.exclude_background, loss_, g);
      break;
    case LossKind::ce: cross_entropy(logits, labels, nullptr, loss_, g); break;
    case LossKind::wce: cross_entropy(logits, labels, class_weights_, loss_, g); break;
    case LossKind::combined:
      combined_loss(logits, labels, *class_weights_, loss_options_.alpha, loss_options_.beta,
                    loss_options_.exclude_background, loss_, g);
      break;
    case LossKind::dicece:
      dice_loss(logits, labels, loss_options_.exclude_background, loss_, g);
      cross_entropy(logits, labels, nullptr, ce_loss_,
                    {grad, g.scale, true, ranks});  // adds its gradient
      break;
  }
  const auto first = [](Tensor& host, const Tensor& device) {
    host.copy_from(device);
    return host.dtype() == DType::f64 ? host.data_as<double>()[0] : host.data_as<float>()[0];
  };
  const double value = first(loss_host_, loss_);
  return loss_options_.kind == LossKind::dicece ? value + first(ce_loss_host_, ce_loss_) : value;
}

double TrainingStep::micro_batch(bool step_follows) {
  Tensor grad = net_.logits_grad();
  const double value = loss_on(net_.forward(true), &grad);
  if (averager_ != nullptr && step_follows)
    net_.backward([this](std::int64_t offset) { averager_->gradients_ready_from(offset); });
  else
    net_.backward();
  return value;
}

bool TrainingStep::apply() {
  // A global loss's shares add up to its gradient; per-rank losses are averaged, as DDP does.
  if (averager_ != nullptr)
    loss_sums_ != nullptr ? averager_->sum_gradients(1.0) : averager_->average_gradients();
  const bool stepped = optimizer_.step(scaler_.scale());
  scaler_.update(!stepped);
  return stepped;
}

double TrainingStep::evaluate() {
  return loss_on(net_.forward(false), nullptr);
}

}  // namespace unet3d
