// A parameter's values as doubles on the host, and back: how the checkpoint writer and reader
// and the BatchNorm folding move weights between a tensor (f32 or f64, any device) and the
// double arithmetic they do on the host.
#pragma once

#include <vector>

#include "runtime/tensor.h"

namespace unet3d {

// t's values (f32 or f64, on any device), copied to the host as doubles.
std::vector<double> host_values(const Tensor& t);

// `values` of `shape` as a tensor of `dtype` on `device`: rounded once on the host to f32 (or
// kept f64), then moved; an f16 tensor is cast from the f32 one.
Tensor tensor_of_values(const std::vector<double>& values, Shape shape, DType dtype,
                        Device device = Device::cpu);

}  // namespace unet3d
