// One model's or an ensemble's segmentation of a volume in its native space.
#include "tools/evaluation/segmenter.h"

#include <cstring>

#include "io/preprocess.h"
#include "io/resampled.h"
#include "layers/inference.h"
#include "layers/scoring.h"
#include "runtime/error.h"

namespace unet3d {

Segmenter::Segmenter(const std::vector<std::string>& checkpoints,
                     const std::vector<ModelInfo>& infos, Device device,
                     const WindowOptions& window, Precision precision)
    : window_(window) {
  UNET3D_USAGE_CHECK(!checkpoints.empty() && checkpoints.size() == infos.size(),
                     "Segmenter: ", checkpoints.size(), " checkpoints for ", infos.size(),
                     " model descriptions");
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    const ModelInfo& info = infos[i];
    if (i > 0) {
      const ModelInfo& first = infos[0];
      const bool names_differ = !first.class_names.empty() && !info.class_names.empty() &&
                                first.class_names != info.class_names;
      if (info.config.num_classes != first.config.num_classes || names_differ ||
          info.config.in_channels != first.config.in_channels)
        throw Error(ErrorKind::usage,
                    concat("--checkpoint ", checkpoints[0], " (", first.config.num_classes,
                           " classes, ", first.config.in_channels, " input channels) and ",
                           checkpoints[i], " (", info.config.num_classes, " classes, ",
                           info.config.in_channels, " input channels", names_differ ? ", " : "",
                           names_differ ? "other class names" : "",
                           ") cannot be an ensemble: the models must agree on classes and "
                           "channels"));
    }
    const Grid grid = info.mode == InputMode::patch ? info.patch : Grid::cube(info.input_size);
    auto net = std::make_unique<UNet3D>(info.config, device, precision, 1, grid);
    load_model(checkpoints[i], *net);
    net->fold_batchnorm();  // the model only evaluates: each BatchNorm into its convolution
    // One forward on zeros sizes the grow-only scratch memory (and on a GPU the convolutions'
    // plans) now, so that what the models hold can be stated before the first case.
    Tensor input = net->input();
    Tensor zeros(input.shape(), input.dtype(), Device::cpu);
    std::memset(zeros.data(), 0, zeros.bytes());  // 0.0 in f16 and f32 alike
    input.copy_from(zeros);
    net->forward(false);
    members_.push_back({checkpoints[i], info, std::move(net)});
  }
}

Tensor Segmenter::grid_probabilities(Member& m, NiftiVolume& volume, const std::string& path) {
  const NiftiGeometry& g = volume.geometry;
  UNet3D& net = *m.net;
  const Device device = net.device();
  const std::int64_t classes = m.info.config.num_classes;
  if (volume.channels != m.info.config.in_channels)
    throw Error(
        ErrorKind::usage,
        concat("--input ", path, ": ", volume.channels, " channel(s), but ", m.checkpoint,
               " takes ", m.info.config.in_channels,
               " (give a case's channel files as --input a_0000.nii.gz,a_0001.nii.gz,...)"));
  if (m.info.mode == InputMode::patch) {
    const Grid grid = resampled_grid_of(g, m.info.spacing);
    Tensor p({1, grid.d, grid.h, grid.w, classes}, window_sum_dtype(net), Device::cpu);
    window_probabilities(
        net, resampled_image(volume, m.info.spacing, device, path, m.info.normalization), grid,
        window_, p);
    return device == Device::cpu ? std::move(p) : p.to(device);
  }
  Tensor input = net.input();
  preprocess_channels(volume, input, path, m.info.normalization);
  Tensor probabilities(net.input().shape().with_channels(classes), DType::f32, device);
  class_probabilities(net.forward(false), probabilities);
  return probabilities;
}

void Segmenter::segment(NiftiVolume& volume, const std::string& path, Tensor& segmentation,
                        Tensor* probabilities) {
  if (members_.size() == 1) {
    const Tensor p = grid_probabilities(members_[0], volume, path);
    if (probabilities != nullptr)
      native_segmentation(p, *probabilities, segmentation);
    else
      native_segmentation(p, segmentation);
    return;
  }
  ensemble_segmentation(
      num_classes(), members_.size(),
      [&](std::size_t m) { return grid_probabilities(members_[m], volume, path); }, segmentation,
      probabilities);
}

}  // namespace unet3d
