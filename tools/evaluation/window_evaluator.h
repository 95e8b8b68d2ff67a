// Scoring in patch mode (docs/formats.md): whole volumes segmented with the sliding window
// (layers/window_inference.h) and scored as tools/evaluation/evaluator.h scores, on each case's
// grid at the target spacing (validation, and the test report's "network resolution") and at native
// resolution, the probabilities resampled there (trilinear) and argmax'd.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "io/resampled.h"
#include "layers/window_inference.h"
#include "tools/evaluation/evaluator.h"

namespace unet3d {

class WindowEvaluator {
 public:
  WindowEvaluator(UNet3D& net, WindowOptions options) : net_(net), options_(options) {}

  // Dice on the resampled grids; `scores` (optional): every case's surface metrics there.
  DiceTable evaluate(const ResampledDataset& data, const std::vector<std::size_t>& cases,
                     CaseScoreTable* scores = nullptr);

  struct TestTables {
    DiceTable resampled, native;
    std::vector<std::vector<std::uint8_t>> native_predictions;  // per case, x fastest
  };
  // Both tables from one sliding-window pass per case; the native one against
  // `native_labels(case)`, whose surface metrics go to `scores`.
  TestTables evaluate_native(
      const ResampledDataset& data, const std::vector<std::size_t>& cases,
      const std::function<std::vector<std::uint8_t>(std::size_t)>& native_labels,
      CaseScoreTable& scores);

  // As Evaluator::stop_when_interrupted: a pending signal stops between cases from now on.
  void stop_when_interrupted(const char* phase) { interruptible_phase_ = phase; }

 private:
  // Case c's probabilities ([1, D, H, W, C] on the network's device, in window_sum_dtype) at the
  // target spacing.
  Tensor probabilities(const ResampledDataset& data, std::size_t c);
  UNet3D& net_;
  WindowOptions options_;
  const char* interruptible_phase_ = nullptr;
};

}  // namespace unet3d
