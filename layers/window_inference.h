// A trained network through the sliding window (layers/sliding_window.h): a z-scored volume on
// the target-spacing grid segmented in windows of the network's patch, net.batch() windows per
// forward pass, the softmax probabilities importance-weighted, and optionally averaged over the
// 8 mirrorings of the input. Used by patch-mode validation, the test report and predict.
#pragma once

#include <cstdint>
#include <vector>

#include "layers/unet3d.h"

namespace unet3d {

struct WindowOptions {
  double overlap = 0.5;  // 0 <= overlap < 1
  bool mirror = false;   // the mean over the 8 flips of the input, each result flipped back
};

// The class probabilities of `volume` ([D][H][W][the network's input channels] f32, host, D, H,
// W = grid) as [D][H][W][C] f32, C the network's classes. The network runs in evaluation mode.
std::vector<float> window_probabilities(UNet3D& net, const std::vector<float>& volume, Grid grid,
                                        const WindowOptions& options);

// The same into `probabilities` ([1, D, H, W, C] on the host), whose dtype the window sums are
// kept in (layers/sliding_window.h): window_sum_dtype(net) keeps them in f16 where the network
// runs in f16 (half the memory), else in f32. With mirroring, one more such volume.
void window_probabilities(UNet3D& net, const std::vector<float>& volume, Grid grid,
                          const WindowOptions& options, Tensor& probabilities);
DType window_sum_dtype(UNet3D& net);

// `values` ([D][H][W][channels], host) mirrored along the FlipAxis mask `axes` (kernels/flip.h).
std::vector<float> mirrored(const std::vector<float>& values, Grid grid, std::int64_t channels,
                            unsigned axes);

}  // namespace unet3d
