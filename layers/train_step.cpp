// One training step: micro-batches with their losses, and the optimizer step.
#include "layers/train_step.h"

#include "kernels/loss.h"
#include "kernels/resize.h"

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
      loss_host_(loss.kind == LossKind::combined ? Shape::vector(3) : Shape::scalar(),
                 master_dtype(net.precision()), Device::cpu),
      ce_loss_host_(Shape::scalar(), master_dtype(net.precision()), Device::cpu),
      tally_(kLossTally, net.device()) {
  // Weights 1 for the head and 1 / 2^(level - 1) for a deep-supervision head of `level`.
  std::vector<double> weights{1.0};
  for (const std::int64_t level : net.config().supervised_levels())
    weights.push_back(1.0 / static_cast<double>(std::int64_t{1} << (level - 1)));
  double total = 0;
  for (const double w : weights) total += w;
  for (std::int64_t k = 0; k < net.outputs(); ++k) {
    const Tensor output = net.output(k);
    Output out{
        weights[static_cast<std::size_t>(k)] / total,
        k == 0 ? labels_.alias() : Tensor(output.shape().with_channels(1), DType::u8, net.device()),
        Tensor(loss_host_.shape(), loss_host_.dtype(), net.device()),
        Tensor(Shape::scalar(), loss_host_.dtype(), net.device())};
    outputs_.push_back(std::move(out));
  }
  UNET3D_USAGE_CHECK(accum >= 1, "--accum: ", accum, " (needs at least 1 micro-batch per step)");
  const bool weighted = loss.kind == LossKind::wce || loss.kind == LossKind::combined;
  UNET3D_USAGE_CHECK(!weighted || class_weights != nullptr,
                     "the wce and combined losses need class weights");
}

void TrainingStep::loss_on(Output& out, const Tensor& logits, Tensor* grad) {
  // Evaluation (no gradient) scores this rank's own batch.
  RankSums* ranks = grad != nullptr ? loss_sums_ : nullptr;
  const LossGradient g{grad, out.weight / accum_, false, ranks, scaler_.device_scale()};
  const Tensor& labels = out.labels;
  switch (loss_options_.kind) {
    case LossKind::dice:
      dice_loss({logits, labels, loss_options_.exclude_background, out.loss, g});
      break;
    case LossKind::ce: cross_entropy({logits, labels, nullptr, out.loss, g}); break;
    case LossKind::wce: cross_entropy({logits, labels, class_weights_, out.loss, g}); break;
    case LossKind::combined:
      combined_loss({logits, labels, *class_weights_, loss_options_.alpha, loss_options_.beta,
                     loss_options_.exclude_background, out.loss, g});
      break;
    case LossKind::dicece:
      dice_loss({logits, labels, loss_options_.exclude_background, out.loss, g});
      cross_entropy({logits,
                     labels,
                     nullptr,
                     out.ce_loss,
                     {grad, g.scale, true, ranks, g.loss_scale}});  // adds its gradient
      break;
  }
}

double TrainingStep::first_value(Tensor& host, const Tensor& loss) {
  host.copy_from(loss);
  return host.dtype() == DType::f64 ? host.data_as<double>()[0] : host.data_as<float>()[0];
}

void TrainingStep::micro_batch(bool step_follows) {
  net_.forward(true);
  LossTerms terms;
  for (std::size_t k = 0; k < outputs_.size(); ++k) {
    Output& out = outputs_[k];
    if (k > 0) resize_nearest({labels_, out.labels});  // q j + floor(q / 2) along each axis
    Tensor grad = net_.output_grad(static_cast<std::int64_t>(k));
    loss_on(out, net_.output(static_cast<std::int64_t>(k)), &grad);
    terms.add(out.loss, out.weight);
    if (loss_options_.kind == LossKind::dicece) terms.add(out.ce_loss, out.weight);
  }
  Tensor tally = tally_.values();
  tally_loss({terms, tally});
  if (averager_ != nullptr && step_follows)
    net_.backward([this](std::int64_t offset) { averager_->gradients_ready_from(offset); });
  else
    net_.backward();
}

void TrainingStep::apply() {
  // A global loss's shares add up to its gradient; per-rank losses are averaged, as DDP does.
  if (averager_ != nullptr)
    loss_sums_ != nullptr ? averager_->sum_gradients(1.0) : averager_->average_gradients();
  optimizer_.step(scaler_);
  Tensor tally = tally_.values();
  mark_loss_step({tally});
}

namespace {

TrainingStep::Losses losses_of(const std::vector<double>& tally) {
  return {tally[kLossSum], tally[kLossCount], tally[kLossSumAtStep]};
}

}  // namespace

TrainingStep::Losses TrainingStep::latest_losses() {
  tally_.request();
  return losses_of(tally_.latest());
}

TrainingStep::Losses TrainingStep::current_losses() {
  return losses_of(tally_.current());
}

void TrainingStep::set_losses(double sum, std::int64_t count) {
  tally_.set(kLossSum, sum);
  tally_.set(kLossCount, static_cast<double>(count));
  tally_.set(kLossSumAtStep, sum);
}

double TrainingStep::last_loss() {
  return tally_.current()[kLastLoss];
}

double TrainingStep::evaluate() {
  Output& head = outputs_.front();
  loss_on(head, net_.forward(false), nullptr);
  const double value = first_value(loss_host_, head.loss);
  return loss_options_.kind == LossKind::dicece ? value + first_value(ce_loss_host_, head.ce_loss)
                                                : value;
}

}  // namespace unet3d
