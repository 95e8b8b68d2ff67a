// Building a run's network, optimizer, step and evaluators.
#include "tools/run/training.h"

#include "io/split.h"

namespace unet3d {
namespace {

// The voxels of each class over the training cases, whichever mode's volumes.
std::vector<std::int64_t> training_counts(const RunData& data,
                                          const std::vector<std::size_t>& train) {
  if (!data.patch_mode) return class_voxel_counts(data.host, train);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(data.num_classes()), 0);
  for (const std::size_t i : train)
    for (const std::uint8_t label : data.resampled.volumes[i].labels) ++counts[label];
  return counts;
}

Tensor class_weight_tensor(const RunData& data, const std::vector<std::size_t>& train,
                           Precision precision, Device device) {
  const std::vector<double> weights = weighted_ce_weights(training_counts(data, train));
  Tensor t(Shape::vector(data.num_classes()), master_dtype(precision));
  for (std::size_t c = 0; c < weights.size(); ++c)
    t.data_as<float>()[c] = static_cast<float>(weights[c]);
  return t.to(device);
}

}  // namespace

Training::Training(const RunConfig& c, const RunData& data, const std::vector<std::size_t>& train,
                   Grid grid, Device device, Precision precision, Communicator& ranks)
    : config(network_config(c, data.channels(), data.num_classes())),
      net(config, device, precision, c.batch, grid),
      optimizer(net.parameters(),
                {c.lr, 0.9, 0.999, 1e-8, c.weight_decay, c.optimizer, c.momentum}),
      scaler(precision == Precision::f16, device),
      class_weights(class_weight_tensor(data, train, precision, device)),
      step(net, optimizer, scaler, c.loss, &class_weights, static_cast<int>(c.accum)),
      rank_sums(ranks),
      averager(net.parameters(), ranks),
      evaluator(net, step),
      window_evaluator(net, {c.overlap, c.mirror}) {
  shape.mode = data.patch_mode ? InputMode::patch : InputMode::resize;
  shape.input_size = data.patch_mode ? 0 : data.host.size;
  shape.spacing = data.resampled.spacing;
  shape.patch = grid;
  shape.class_names = data.class_names();
  shape.normalization = data.normalization;
  if (ranks.distributed()) {
    step.set_data_parallel(&averager, &rank_sums);
    if (c.sync_bn) net.set_batchnorm_ranks(&rank_sums);
  }
}

void Training::share_rank0_state(Communicator& ranks) {
  if (!ranks.distributed()) return;
  averager.broadcast_parameters();
  for (auto& [name, tensor] : optimizer.state()) broadcast_tensor(ranks, *tensor);
  // The counters and the scaler's state, as doubles (exact for every count a run reaches).
  double numbers[5] = {static_cast<double>(optimizer.steps()), scaler.scale(),
                       static_cast<double>(scaler.growth_tracker()),
                       static_cast<double>(scaler.skipped_steps()),
                       static_cast<double>(net.batches_tracked())};
  ranks.broadcast(numbers, sizeof numbers);
  optimizer.set_steps(static_cast<std::int64_t>(numbers[0]));
  scaler.restore(numbers[1], static_cast<std::int64_t>(numbers[2]),
                 static_cast<std::int64_t>(numbers[3]));
  net.set_batches_tracked(static_cast<std::int64_t>(numbers[4]));
}

}  // namespace unet3d
