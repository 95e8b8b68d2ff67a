// Sliding-window evaluation on the resampled grids and at native resolution.
#include "tools/evaluation/window_evaluator.h"

#include "layers/inference.h"
#include "layers/scoring.h"
#include "runtime/interrupt.h"
#include "runtime/log.h"

namespace unet3d {
namespace {

// Intersection, |P| and |G| per class ([3][C] on the host) of two label maps on one device.
Tensor counts_of(const Tensor& prediction, const Tensor& truth, std::int64_t classes) {
  Tensor counts({1, 1, 1, 3, classes}, DType::f64, prediction.device());
  overlap_counts(prediction, truth, counts);
  return counts.to(Device::cpu);
}

Tensor on_device(const std::vector<std::uint8_t>& labels, Grid grid, Device device) {
  return Tensor::view(const_cast<std::uint8_t*>(labels.data()), {1, grid.d, grid.h, grid.w, 1},
                      DType::u8, Device::cpu)
      .to(device);
}

// The resampled grid's actual voxel size: the native extent over the resampled count.
Grid3 resampled_grid3(const NiftiGeometry& g, Grid grid) {
  return {grid.w,
          grid.h,
          grid.d,
          g.dx * static_cast<double>(g.nx) / static_cast<double>(grid.w),
          g.dy * static_cast<double>(g.ny) / static_cast<double>(grid.h),
          g.dz * static_cast<double>(g.nz) / static_cast<double>(grid.d)};
}

}  // namespace

Tensor WindowEvaluator::probabilities(const ResampledDataset& data, std::size_t c) {
  if (interruptible_phase_ != nullptr) stop_if_interrupted(interruptible_phase_);
  const ResampledVolume& v = data.volumes[c];
  Tensor p({1, v.grid.d, v.grid.h, v.grid.w, net_.config().num_classes}, window_sum_dtype(net_),
           Device::cpu);
  window_probabilities(net_, v.image, v.grid, options_, p);
  return net_.device() == Device::cpu ? std::move(p) : p.to(net_.device());
}

DiceTable WindowEvaluator::evaluate(const ResampledDataset& data,
                                    const std::vector<std::size_t>& cases, CaseScoreTable* scores) {
  DiceTable table;
  table.class_names = data.class_names;
  const std::int64_t classes = net_.config().num_classes;
  for (const std::size_t c : cases) {
    const ResampledVolume& v = data.volumes[c];
    Tensor prediction({1, v.grid.d, v.grid.h, v.grid.w, 1}, DType::u8, net_.device());
    grid_segmentation(probabilities(data, c), prediction);
    const Tensor truth = on_device(v.labels, v.grid, net_.device());
    table.add(data.cases[c].name, counts_of(prediction, truth, classes).data_as<double>());
    if (scores != nullptr)
      scores->add(data.cases[c].name, prediction.to(Device::cpu).data_as<std::uint8_t>(),
                  v.labels.data(), resampled_grid3(data.cases[c].geometry, v.grid));
  }
  table.finish();
  return table;
}

WindowEvaluator::TestTables WindowEvaluator::evaluate_native(
    const ResampledDataset& data, const std::vector<std::size_t>& cases,
    const std::function<std::vector<std::uint8_t>(std::size_t)>& native_labels,
    CaseScoreTable& scores) {
  TestTables t;
  t.resampled.class_names = t.native.class_names = data.class_names;
  const std::int64_t classes = net_.config().num_classes;
  ProgressBar bar("test with the sliding window", static_cast<std::int64_t>(cases.size()));
  for (const std::size_t c : cases) {
    const ResampledVolume& v = data.volumes[c];
    const NiftiGeometry& g = data.cases[c].geometry;
    const Tensor p = probabilities(data, c);
    Tensor resampled({1, v.grid.d, v.grid.h, v.grid.w, 1}, DType::u8, net_.device());
    grid_segmentation(p, resampled);
    t.resampled.add(data.cases[c].name,
                    counts_of(resampled, on_device(v.labels, v.grid, net_.device()), classes)
                        .data_as<double>());
    Tensor native({1, g.nz, g.ny, g.nx, 1}, DType::u8, net_.device());
    native_segmentation(p, native);
    const std::vector<std::uint8_t> truth = native_labels(c);
    const Grid native_grid{g.nz, g.ny, g.nx};
    t.native.add(
        data.cases[c].name,
        counts_of(native, on_device(truth, native_grid, net_.device()), classes).data_as<double>());
    const Tensor host = native.to(Device::cpu);
    t.native_predictions.emplace_back(host.data_as<std::uint8_t>(),
                                      host.data_as<std::uint8_t>() + host.numel());
    scores.add(data.cases[c].name, t.native_predictions.back().data(), truth.data(), grid_of(g));
    bar.advance();
  }
  t.resampled.finish();
  t.native.finish();
  return t;
}

}  // namespace unet3d
