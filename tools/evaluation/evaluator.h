// Scoring segmentations as docs/formats.md says: Dice per class per volume on the argmax, a class
// absent from a volume (|P| + |G| = 0) left out of that class's mean (and counted), "Average"
// the mean of the per-class means, background included. At the network's resolution during
// training; at native resolution (probabilities resampled back, §7) for the final report.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/preprocess.h"
#include "layers/train_step.h"
#include "scoring/case_scores.h"

namespace unet3d {

struct DiceTable {
  std::vector<std::string> class_names;
  std::vector<std::string> volumes;
  std::vector<std::vector<double>> per_volume;  // [volume][class]; NaN where absent
  std::vector<double> per_class;                // mean over volumes where present; NaN if none
  std::vector<int> left_out;                    // volumes without the class
  double average = 0;     // the mean of the per-class means, background included (the original's)
  double foreground = 0;  // the same without the background (class 0): "mean Dice" elsewhere

  // Adds one volume from its counts ([3][C]: intersection, |P|, |G|).
  void add(const std::string& volume, const double* counts);
  // Computes per_class, left_out and average from the volumes added.
  void finish();
};

// Runs the network in evaluation mode over `cases` of `data` (resident on the network's device
// in its activation dtype), batch by batch (the last batch padded with repeats, which are not
// scored). Returns the Dice table; `loss` gets the mean batch loss.
class Evaluator {
 public:
  Evaluator(UNet3D& net, TrainingStep& step);
  // `scores` (optional): every case's surface metrics at the network's resolution, each case's
  // spacing its native one times n / S per axis.
  DiceTable evaluate(const PreprocessedDataset& data, const std::vector<std::size_t>& cases,
                     double* loss, CaseScoreTable* scores = nullptr);
  // The same at each case's native resolution: softmax probabilities resized to the native grid
  // (trilinear), argmax, against `native_labels(case)` (x fastest, the case's geometry); every
  // case's surface metrics go to `scores` too where it is given.
  DiceTable evaluate_native(
      const PreprocessedDataset& data, const std::vector<std::size_t>& cases,
      const std::function<std::vector<std::uint8_t>(std::size_t)>& native_labels,
      CaseScoreTable* scores = nullptr);
  // Case c's segmentation on its own grid (as evaluate_native makes it), on the host.
  std::vector<std::uint8_t> native_prediction(const PreprocessedDataset& data, std::size_t c);
  // From now on a pending SIGINT or SIGTERM stops an evaluation between batches, with an Error
  // naming `phase` (validation, by default, runs to its end: its epoch is then saved).
  void stop_when_interrupted(const char* phase) { interruptible_phase_ = phase; }

 private:
  void fill_batch(const PreprocessedDataset& data, const std::vector<std::size_t>& cases,
                  std::size_t first);
  UNet3D& net_;
  TrainingStep& step_;
  Tensor prediction_, counts_, counts_host_;
  const char* interruptible_phase_ = nullptr;
};

}  // namespace unet3d
