// Sliding-window inference over a volume larger (or smaller) than the network's patch, as
// MONAI's sliding_window_inference(x, roi_size, predictor, overlap, mode="gaussian",
// sigma_scale=0.125, padding_mode="constant", cval=0) computes it, so that a user comparing the
// two gets the same probabilities (tests/fixtures/monai_sliding_window.py holds MONAI's figures).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "layers/unet3d.h"
#include "runtime/tensor.h"

namespace unet3d {

// Zeros added before and after an axis of n voxels to reach a patch of p: (p - n) / 2 before, the
// rest after; none where n >= p.
struct AxisPadding {
  std::int64_t before = 0, after = 0;
};
AxisPadding window_padding(std::int64_t n, std::int64_t p);

// Where the windows of p voxels start along an axis of n >= p voxels: only 0 if n == p; else
// with step = max(1, int(p (1 - overlap))), i * step for i = 0, 1, ... up to and including the
// first i with i * step + p >= n, each moved back to n - p where it would run past the end.
std::vector<std::int64_t> window_starts(std::int64_t n, std::int64_t p, double overlap);

// The weight of each voxel of a patch, [pd][ph][pw] in f32: the outer product over the axes of
// exp(-t^2 / (2 sigma^2)) for t = -(p - 1) / 2 ... (p - 1) / 2 and sigma = sigma_scale * p,
// clamped below at max(its minimum, 1e-3).
std::vector<float> importance_map(Grid patch, double sigma_scale = 0.125);

// Fills `probabilities` [k][pd][ph][pw][classes] for k windows [k][pd][ph][pw][in channels] of
// the padded volume (k at most the batch sliding_window_mean was given).
using WindowPredictor =
    std::function<void(const std::vector<float>& windows, std::vector<float>& probabilities)>;

// The importance-weighted mean of `predictor` over every window of `volume` [D][H][W][in
// channels] (f32; in channels = volume.size() / (D H W)): [D][H][W][classes]. The volume is padded
// with 0 where it is smaller than the patch and the result cropped back; windows run in (d, h, w)
// order, up to `batch` per predictor call, each adding weight * probability and weight in f32 (so
// the batch does not change the result), and the sums are divided at the end. Holds one batch of
// windows and the padded volume's sums.
std::vector<float> sliding_window_mean(const std::vector<float>& volume, Grid grid, Grid patch,
                                       std::int64_t classes, double overlap,
                                       const WindowPredictor& predictor, std::int64_t batch = 1);

// The same into `mean` ([1, D, H, W, classes] on the host, the caller's), in its dtype: f32, or
// f16 (each addition made in f32 and rounded to f16). Where the volume needs no padding the sums
// run in `mean` itself, so that they take no memory of their own; else they take the padded
// volume's, in that dtype. The weights' sums are f32 either way.
void sliding_window_mean(const std::vector<float>& volume, Grid grid, Grid patch, double overlap,
                         const WindowPredictor& predictor, std::int64_t batch, Tensor& mean);

}  // namespace unet3d
