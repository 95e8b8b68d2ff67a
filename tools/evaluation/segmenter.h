// predict's segmentation in native space (docs/formats.md, Inference in native space) by one
// model or an ensemble: each model's class probabilities on its own grid (resize mode's S^3, or
// patch mode's sliding window at its spacing), resized trilinearly to the volume's native grid,
// averaged over the models, then the argmax (the lowest class wins ties). One model takes the
// same path without the average.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/nifti.h"
#include "layers/precision.h"
#include "layers/unet3d.h"
#include "layers/window_inference.h"
#include "runtime/tensor.h"
#include "tools/model/checkpoint.h"

namespace unet3d {

class Segmenter {
 public:
  // Loads each checkpoint with its ModelInfo (infos[i] for checkpoints[i]) onto `device`, to run
  // in `precision` (f16: mixed precision, CUDA only), and runs it once on zeros (its scratch
  // memory then is what it holds). Models that disagree on their classes (count or names) or
  // input channels are a usage Error naming both checkpoints.
  Segmenter(const std::vector<std::string>& checkpoints, const std::vector<ModelInfo>& infos,
            Device device, const WindowOptions& window, Precision precision = Precision::f32);

  std::int64_t num_classes() const { return members_[0].info.config.num_classes; }
  const ModelInfo& first_info() const { return members_[0].info; }
  Device device() const { return members_[0].net->device(); }
  // The dtype the sliding window keeps its sums in (window_sum_dtype).
  DType window_sums() const { return window_sum_dtype(*members_[0].net); }

  // segmentation ([1, nz, ny, nx, 1] u8 on the device) := the labels of `volume` (read from
  // `path`); probabilities, when given ([1, nz, ny, nx, C] f32 on the device), := the (averaged)
  // native probabilities.
  void segment(NiftiVolume& volume, const std::string& path, Tensor& segmentation,
               Tensor* probabilities);

 private:
  struct Member {
    std::string checkpoint;
    ModelInfo info;
    std::unique_ptr<UNet3D> net;
  };
  // Member m's class probabilities of `volume` on its network's grid, on the device.
  Tensor grid_probabilities(Member& m, NiftiVolume& volume, const std::string& path);

  std::vector<Member> members_;
  WindowOptions window_;
};

}  // namespace unet3d
