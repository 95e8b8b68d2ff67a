// The network's predictor for the sliding window, and mirror test-time augmentation.
#include "layers/window_inference.h"

#include <cstring>

#include "kernels/elementwise.h"
#include "kernels/flip.h"
#include "kernels/numeric.h"
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

namespace {

// sum += `one` mirrored along `axes` (both [1, D, H, W, C] in S on the host), read through the
// mirrored index rather than copied.
template <class S>
void add_mirrored(Tensor& sum, const Tensor& one, unsigned axes) {
  const Shape& s = sum.shape();
  S* to = sum.data_as<S>();
  const S* from = one.data_as<S>();
  const auto source = [](std::int64_t i, std::int64_t n, bool flip) {
    return flip ? n - 1 - i : i;
  };
  for (std::int64_t z = 0; z < s.d; ++z)
    for (std::int64_t y = 0; y < s.h; ++y)
      for (std::int64_t x = 0; x < s.w; ++x) {
        const std::int64_t v = (z * s.h + y) * s.w + x;
        const std::int64_t u =
            (source(z, s.d, (axes & kFlipD) != 0) * s.h + source(y, s.h, (axes & kFlipH) != 0)) *
                s.w +
            source(x, s.w, (axes & kFlipW) != 0);
        for (std::int64_t c = 0; c < s.c; ++c)
          store(&to[v * s.c + c], load(&to[v * s.c + c]) + load(&from[u * s.c + c]));
      }
}

template <class S>
void divide(Tensor& t, float by) {
  S* v = t.data_as<S>();
  for (std::int64_t i = 0; i < t.numel(); ++i) store(&v[i], load(&v[i]) / by);
}

}  // namespace

DType window_sum_dtype(UNet3D& net) {
  return net.input().dtype() == DType::f16 ? DType::f16 : DType::f32;
}

void window_probabilities(UNet3D& net, const std::vector<float>& volume, Grid grid,
                          const WindowOptions& options, Tensor& probabilities) {
  const std::int64_t classes = net.config().num_classes;
  const std::int64_t in_channels = net.config().in_channels;
  const Shape expected{1, grid.d, grid.h, grid.w, classes};
  UNET3D_USAGE_CHECK(
      static_cast<std::int64_t>(volume.size()) == grid.d * grid.h * grid.w * in_channels &&
          probabilities.shape() == expected,
      "window_probabilities: ", volume.size(), " values for a grid of ", grid.str(),
      ", a network of ", in_channels, " input channels and ", classes, " classes into ",
      probabilities.describe());
  const Shape batch_shape = net.input().shape();
  // Windows are staged on the host in f32, moved to the network's device and cast into its
  // input; the probabilities come back the same way. Every buffer is allocated once.
  Tensor staged(batch_shape, DType::f32, Device::cpu), moved(batch_shape, DType::f32, net.device());
  Tensor batch_probabilities(batch_shape.with_channels(classes), DType::f32, net.device());
  Tensor returned(batch_probabilities.shape(), DType::f32, Device::cpu);
  const WindowPredictor predictor = [&](const std::vector<float>& windows,
                                        std::vector<float>& out) {
    std::memset(staged.data(), 0, staged.bytes());  // slots past the last window: zeros
    std::memcpy(staged.data(), windows.data(), windows.size() * sizeof(float));
    moved.copy_from(staged);
    Tensor input = net.input();
    cast({moved, input});
    class_probabilities(net.forward(false), batch_probabilities);
    returned.copy_from(batch_probabilities);
    std::memcpy(out.data(), returned.data(), out.size() * sizeof(float));
  };
  const auto run = [&](const std::vector<float>& input, Tensor& into) {
    sliding_window_mean(input, grid, net.grid(), options.overlap, predictor, net.batch(), into);
  };
  run(volume, probabilities);
  if (!options.mirror) return;
  const bool half = probabilities.dtype() == DType::f16;
  Tensor one(probabilities.shape(), probabilities.dtype(), Device::cpu);
  for (unsigned axes = 1; axes < 8; ++axes) {
    run(mirrored(volume, grid, in_channels, axes), one);
    half ? add_mirrored<Half>(probabilities, one, axes)
         : add_mirrored<float>(probabilities, one, axes);
  }
  half ? divide<Half>(probabilities, 8.0f) : divide<float>(probabilities, 8.0f);
}

std::vector<float> window_probabilities(UNet3D& net, const std::vector<float>& volume, Grid grid,
                                        const WindowOptions& options) {
  const std::int64_t classes = net.config().num_classes;
  std::vector<float> mean(static_cast<std::size_t>(grid.d * grid.h * grid.w * classes));
  Tensor out =
      Tensor::view(mean.data(), {1, grid.d, grid.h, grid.w, classes}, DType::f32, Device::cpu);
  window_probabilities(net, volume, grid, options, out);
  return mean;
}

}  // namespace unet3d
