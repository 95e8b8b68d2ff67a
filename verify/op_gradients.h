// The gradient checks of the ops that are differentiated in training, which verify/op_cases.cpp
// attaches to their forward's description: each at its small shapes, in f64 on the CPU, with
// inputs kept away from the kinks (ReLU's zero) and ties (max-pooling's windows) where central
// differences are not defined.
#pragma once

#include <vector>

#include "verify/op_cases.h"

namespace unet3d::op_cases {

std::vector<GradientCase> relu_gradients();
std::vector<GradientCase> batchnorm_gradients();      // none, ReLU and LeakyReLU fused
std::vector<GradientCase> instancenorm_gradients();   // the same
std::vector<GradientCase> maxpool_gradients();        // windows of 2 and anisotropic ones
std::vector<GradientCase> concat_gradients();         // split is concat's adjoint
std::vector<GradientCase> dice_gradients();           // with and without background, and log
std::vector<GradientCase> cross_entropy_gradients();  // unweighted and weighted
std::vector<GradientCase> combined_loss_gradients();

}  // namespace unet3d::op_cases
