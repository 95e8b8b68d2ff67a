// Per-element bodies of the elementwise kernels, written once: the CUDA kernels call them per
// thread and the CPU loops per element, so CI tests the arithmetic the GPU runs.
#pragma once

#include "runtime/hd.h"

namespace unet3d::ops {

template <class T>
UNET3D_HD T add(T a, T b) {
  return a + b;
}

template <class T>
UNET3D_HD T scale(T x, T alpha) {
  return alpha * x;
}

template <class T>
UNET3D_HD T affine(T x, T a, T b) {
  return a * x + b;
}

// Written as "x < 0 ? 0 : x" so that NaN passes through, as torch.relu does.
template <class T>
UNET3D_HD T relu(T x) {
  return x < T(0) ? T(0) : x;
}

// PyTorch's threshold_backward: the gradient is cut where the output is <= 0.
template <class T>
UNET3D_HD T relu_backward(T y, T dy) {
  return y <= T(0) ? T(0) : dy;
}

}  // namespace unet3d::ops
