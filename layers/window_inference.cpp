// The network's predictor for the sliding window, and mirror test-time augmentation.
#include "layers/window_inference.h"

#include <cstring>

#include "kernels/elementwise.h"
#include "kernels/flip.h"
#include "layers/inference.h"
#include "layers/sliding_window.h"
#include "runtime/error.h"

namespace unet3d {

std::vector<float> mirrored(const std::vector<float>& values, Grid grid, std::int64_t channels,
                            unsigned axes) {
  const Shape shape{1, grid.d, grid.h, grid.w, channels};
  std::vector<float> out(values.size());
  const Tensor in = Tensor::view(const_cast<float*>(values.data()), shape, DType::f32, Device::cpu);
  Tensor flipped = Tensor::view(out.data(), shape, DType::f32, Device::cpu);
  flip({in, flipped, axes});
  return out;
}

std::vector<float> window_probabilities(UNet3D& net, const std::vector<float>& volume, Grid grid,
                                        const WindowOptions& options) {
  const std::int64_t classes = net.config().num_classes;
  const std::int64_t in_channels = net.config().in_channels;
  UNET3D_USAGE_CHECK(
      static_cast<std::int64_t>(volume.size()) == grid.d * grid.h * grid.w * in_channels,
      "window_probabilities: ", volume.size(), " values for a grid of ", grid.str(),
      " and a network of ", in_channels, " input channels");
  const Grid patch = net.grid();
  const Shape batch_shape = net.input().shape();
  // Windows are staged on the host in f32, moved to the network's device and cast into its
  // input; the probabilities come back the same way. Every buffer is allocated once.
  Tensor staged(batch_shape, DType::f32, Device::cpu), moved(batch_shape, DType::f32, net.device());
  Tensor probabilities(batch_shape.with_channels(classes), DType::f32, net.device());
  Tensor returned(probabilities.shape(), DType::f32, Device::cpu);
  const WindowPredictor predictor = [&](const std::vector<float>& windows,
                                        std::vector<float>& out) {
    std::memset(staged.data(), 0, staged.bytes());  // slots past the last window: zeros
    std::memcpy(staged.data(), windows.data(), windows.size() * sizeof(float));
    moved.copy_from(staged);
    Tensor input = net.input();
    cast({moved, input});
    class_probabilities(net.forward(false), probabilities);
    returned.copy_from(probabilities);
    std::memcpy(out.data(), returned.data(), out.size() * sizeof(float));
  };
  const auto run = [&](const std::vector<float>& input) {
    return sliding_window_mean(input, grid, patch, classes, options.overlap, predictor,
                               net.batch());
  };
  if (!options.mirror) return run(volume);
  std::vector<float> mean = run(volume);
  for (unsigned axes = 1; axes < 8; ++axes) {
    const std::vector<float> back =
        mirrored(run(mirrored(volume, grid, in_channels, axes)), grid, classes, axes);
    for (std::size_t i = 0; i < mean.size(); ++i) mean[i] += back[i];
  }
  for (float& v : mean) v /= 8.0f;
  return mean;
}

}  // namespace unet3d
