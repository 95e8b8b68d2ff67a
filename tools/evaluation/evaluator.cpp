// Dice tables, and evaluation at network and native resolution.
#include "tools/evaluation/evaluator.h"

#include <cmath>
#include <limits>

#include "layers/inference.h"
#include "layers/scoring.h"
#include "runtime/interrupt.h"
#include "runtime/log.h"

namespace unet3d {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

void DiceTable::add(const std::string& volume, const double* counts) {
  const std::size_t classes = class_names.size();
  std::vector<double> dice(classes, kNaN);
  for (std::size_t c = 0; c < classes; ++c) {
    const double denominator = counts[classes + c] + counts[2 * classes + c];
    if (denominator > 0) dice[c] = 2 * counts[c] / denominator;
  }
  volumes.push_back(volume);
  per_volume.push_back(std::move(dice));
}

void DiceTable::finish() {
  const std::size_t classes = class_names.size();
  per_class.assign(classes, kNaN);
  left_out.assign(classes, 0);
  double total = 0, foreground_total = 0;
  int present_classes = 0;
  for (std::size_t c = 0; c < classes; ++c) {
    double sum = 0;
    int n = 0;
    for (const std::vector<double>& v : per_volume) {
      if (std::isnan(v[c])) {
        ++left_out[c];
        continue;
      }
      sum += v[c];
      ++n;
    }
    if (n > 0) {
      per_class[c] = sum / n;
      total += per_class[c];
      ++present_classes;
      if (c > 0) foreground_total += per_class[c];
    }
  }
  average = present_classes > 0 ? total / present_classes : kNaN;
  const int foreground_classes = present_classes - (classes > 0 && !std::isnan(per_class[0]));
  foreground = foreground_classes > 0 ? foreground_total / foreground_classes : kNaN;
}

Evaluator::Evaluator(UNet3D& net, TrainingStep& step)
    : net_(net),
      step_(step),
      prediction_(net.input().shape().with_channels(1), DType::u8, net.device()),
      counts_({net.batch(), 1, 1, 3, net.config().num_classes}, DType::f64, net.device()),
      counts_host_(counts_.shape(), DType::f64, Device::cpu) {}

void Evaluator::fill_batch(const PreprocessedDataset& data, const std::vector<std::size_t>& cases,
                           std::size_t first) {
  if (interruptible_phase_ != nullptr) stop_if_interrupted(interruptible_phase_);
  Tensor input = net_.input(), labels = step_.labels();
  std::vector<std::size_t> slots;
  for (std::size_t b = 0; b < static_cast<std::size_t>(net_.batch()); ++b)
    slots.push_back(cases[std::min(first + b, cases.size() - 1)]);
  copy_batch(data, slots, input, labels);
}

DiceTable Evaluator::evaluate(const PreprocessedDataset& data,
                              const std::vector<std::size_t>& cases, double* loss,
                              CaseScoreTable* scores) {
  DiceTable table;
  table.class_names = data.class_names;
  double loss_sum = 0;
  int batches = 0;
  const auto batch = static_cast<std::size_t>(net_.batch());
  for (std::size_t first = 0; first < cases.size(); first += batch) {
    fill_batch(data, cases, first);
    loss_sum += step_.evaluate();  // the forward pass in evaluation mode, and its loss
    ++batches;
    grid_segmentation(net_.logits(), prediction_);
    overlap_counts(prediction_, step_.labels(), counts_);
    counts_host_.copy_from(counts_);
    const double* counts = counts_host_.data_as<double>();
    for (std::size_t b = 0; b < batch && first + b < cases.size(); ++b)
      table.add(data.cases[cases[first + b]].name, counts + b * 3 * data.class_names.size());
    if (scores != nullptr) {
      const Tensor predicted = prediction_.to(Device::cpu), truth = step_.labels().to(Device::cpu);
      for (std::size_t b = 0; b < batch && first + b < cases.size(); ++b) {
        const CaseInfo& info = data.cases[cases[first + b]];
        const NiftiGeometry& g = info.geometry;
        const auto side = static_cast<double>(data.size);
        const Grid3 grid{data.size,
                         data.size,
                         data.size,
                         g.dx * static_cast<double>(g.nx) / side,
                         g.dy * static_cast<double>(g.ny) / side,
                         g.dz * static_cast<double>(g.nz) / side};
        const auto item = static_cast<std::int64_t>(b);
        scores->add(info.name, predicted.item(item).data_as<std::uint8_t>(),
                    truth.item(item).data_as<std::uint8_t>(), grid);
      }
    }
  }
  table.finish();
  if (loss) *loss = batches > 0 ? loss_sum / batches : kNaN;
  return table;
}

DiceTable Evaluator::evaluate_native(
    const PreprocessedDataset& data, const std::vector<std::size_t>& cases,
    const std::function<std::vector<std::uint8_t>(std::size_t)>& native_labels,
    CaseScoreTable* scores) {
  DiceTable table;
  table.class_names = data.class_names;
  const std::int64_t classes = net_.config().num_classes;
  const auto batch = static_cast<std::size_t>(net_.batch());
  Tensor probabilities(net_.input().shape().with_channels(classes), DType::f32, net_.device());
  ProgressBar bar("test at native resolution", static_cast<std::int64_t>(cases.size()));
  for (std::size_t first = 0; first < cases.size(); first += batch) {
    fill_batch(data, cases, first);
    class_probabilities(net_.forward(false), probabilities);
    for (std::size_t b = 0; b < batch && first + b < cases.size(); ++b) {
      const std::size_t c = cases[first + b];
      const NiftiGeometry& g = data.cases[c].geometry;
      const Shape native{1, g.nz, g.ny, g.nx, classes};
      Tensor prediction(native.with_channels(1), DType::u8, net_.device());
      native_segmentation(probabilities.item(static_cast<std::int64_t>(b)), prediction);
      std::vector<std::uint8_t> truth_values = native_labels(c);
      const Tensor truth =
          Tensor::view(truth_values.data(), native.with_channels(1), DType::u8, Device::cpu)
              .to(net_.device());
      Tensor counts({1, 1, 1, 3, classes}, DType::f64, net_.device());
      overlap_counts(prediction, truth, counts);
      const Tensor host = counts.to(Device::cpu);
      table.add(data.cases[c].name, host.data_as<double>());
      if (scores != nullptr)
        scores->add(data.cases[c].name, prediction.to(Device::cpu).data_as<std::uint8_t>(),
                    truth_values.data(), grid_of(g));
      bar.advance();
    }
  }
  table.finish();
  return table;
}

std::vector<std::uint8_t> Evaluator::native_prediction(const PreprocessedDataset& data,
                                                       std::size_t c) {
  fill_batch(data, {c}, 0);
  const std::int64_t classes = net_.config().num_classes;
  Tensor probabilities(net_.input().shape().with_channels(classes), DType::f32, net_.device());
  class_probabilities(net_.forward(false), probabilities);
  const NiftiGeometry& g = data.cases[c].geometry;
  Tensor prediction({1, g.nz, g.ny, g.nx, 1}, DType::u8, net_.device());
  native_segmentation(probabilities.item(0), prediction);
  const Tensor host = prediction.to(Device::cpu);
  return {host.data_as<std::uint8_t>(), host.data_as<std::uint8_t>() + host.numel()};
}

}  // namespace unet3d
