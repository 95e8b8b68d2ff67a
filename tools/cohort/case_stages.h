// predict's work on one case, in the three stages that tools/cohort/case_pipeline.h runs in turn
// or overlapped: read (the case's files, on the host), segment (the network: the device, on the
// thread that owns it) and write (the results' files and the scores, on the host). Each stage
// does what the one loop over the cases did, so both ways write the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/nifti.h"
#include "runtime/tensor.h"
#include "scoring/case_scores.h"
#include "tools/cohort/cohort_inputs.h"
#include "tools/evaluation/evaluator.h"
#include "tools/evaluation/segmenter.h"

namespace unet3d {

// What predict writes for each case.
struct PredictOutputs {
  std::string folder;
  bool probabilities = false;      // <name>_prob.nii.gz too
  std::vector<bool> largest_only;  // per class: keep only its largest 26-connected component
  bool scoring = false;            // against each case's label file
  double nsd_tolerance_mm = kDefaultNsdToleranceMm;
};

// A case's files, read.
struct ReadCase {
  std::size_t index;                // in the stages' cases
  NiftiVolume volume;               // its channels
  std::vector<std::uint8_t> truth;  // its labels when scoring
};

// A case segmented, on the host.
struct SegmentedCase {
  std::size_t index;
  NiftiGeometry geometry;
  Tensor labels;         // [1, nz, ny, nx, 1] u8, post-processed
  Tensor probabilities;  // [1, nz, ny, nx, C] f32 where written
  std::vector<std::uint8_t> truth;
  std::vector<double> counts;  // the Dice counts ([3][C]) when scoring
};

class CaseStages {
 public:
  // `cases` (this process's) and `segmenter` must outlive the stages.
  CaseStages(const std::vector<InputCase>& cases, Segmenter& segmenter,
             const std::vector<std::string>& class_names, PredictOutputs outputs);

  std::size_t cases() const { return cases_.size(); }
  // Any thread: touches no device.
  ReadCase read(std::size_t k) const;
  // The thread that owns the device.
  SegmentedCase segment(ReadCase c);
  // Any one thread, the cases in order: the files, then the scores; then on_written().
  void write(SegmentedCase c);

  // The cases written so far: a failure stops at the case after them (case_pipeline.h).
  std::size_t written() const { return written_; }
  // Their Dice table and scores, in order (complete once the stages have run).
  DiceTable& dice_table() { return table_; }
  CaseScoreTable& case_scores() { return scores_; }

  std::function<void()> on_written = [] {};

 private:
  const std::vector<InputCase>& cases_;
  Segmenter& segmenter_;
  PredictOutputs outputs_;
  bool any_largest_only_;
  DiceTable table_;
  CaseScoreTable scores_;
  std::size_t written_ = 0;
};

}  // namespace unet3d
