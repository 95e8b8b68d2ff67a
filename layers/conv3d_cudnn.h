// Conv3d on CUDA through cuDNN (conv3d_cudnn.cpp), for layers/conv3d.cpp, which checks the
// arguments and adds the bias, and for the cuDNN probe. Shapes and dtypes as conv3d.h states.
#pragma once

#include <string>

#include "runtime/tensor.h"

namespace unet3d::gpu {

void conv3d_forward(const Tensor& x, const Tensor& w, Tensor& y);
void conv3d_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx);
void conv3d_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw);
std::string conv_planning_report();
// Every algorithm cuDNN offers for each direction of this convolution (Find's timings and the
// heuristic order) and what is chosen under the default and the deterministic rules, as
// Markdown: tools/cudnn_probe prints it for the model's and the tests' shapes.
std::string conv3d_probe(const Shape& x, const Shape& w, DType dtype);

}  // namespace unet3d::gpu
