// The activation a normalisation is fused with (docs/model.md): none, ReLU, or LeakyReLU with
// PyTorch's default slope of 0.01. Written once for both backends: activate() is applied to the
// normalised value, activation_grad() takes the gradient at the activation's output back to its
// input, reading the output y (whose sign is the input's).
#pragma once

#include "runtime/hd.h"

namespace unet3d {

enum class Activation { none, relu, leaky_relu };

inline constexpr double kLeakySlope = 0.01;

template <class T>
UNET3D_HD T activate(T v, Activation a) {
  if (!(v < T(0))) return v;
  if (a == Activation::relu) return T(0);
  if (a == Activation::leaky_relu) return v * T(kLeakySlope);
  return v;
}

// dL/dv from dL/dy, where y = activate(v): PyTorch's rules, ReLU passing nothing at v = 0 and
// LeakyReLU passing the slope's share there.
template <class T>
UNET3D_HD T activation_grad(T y, T dy, Activation a) {
  if (a == Activation::relu) return y <= T(0) ? T(0) : dy;
  if (a == Activation::leaky_relu) return y > T(0) ? dy : dy * T(kLeakySlope);
  return dy;
}

}  // namespace unet3d
