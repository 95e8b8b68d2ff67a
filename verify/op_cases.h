// Every op the network runs, described once: a name, its operands built for given shapes, the
// op, and the bytes and FLOPs one run moves and computes; where the op has a gradient, its
// gradient checks. bench checks and times each at the model's shapes; the GPU tests compare each
// with the CPU at small odd shapes in f32 and f16; the CPU tests run each against its reference
// computed one precision wider, and check each gradient against central differences.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "verify/parity.h"

namespace unet3d {

struct OpShapes {
  Shape grid;  // [batch, D, H, W] of the first level (its channels unused)
  std::int64_t features, classes, parameters;
  DType data;    // activations: f16, f32 (f64 on the CPU)
  DType master;  // statistics, weight gradients, Adam's state: f32 (f64 with f64 data)
};

struct OpCase {
  std::string name;
  double bytes = 0, flops = 0;  // one run's memory traffic and arithmetic, from the shapes
  Tensors inputs;               // on the CPU; whoever runs the case copies them where it runs
  std::vector<OutputSpec> outputs;
  Op op;  // reads the inputs, writes the outputs, on the device they live on
  // The CPU reference `op` is checked against; empty: `op` itself on the CPU with the data (the
  // dtype of the first floating-point operand) one precision wider, f16 in f32 and f32 in f64.
  Op reference;
};

// An op's gradient at one small shape, in f64 on the CPU: loss(inputs) is a scalar function of
// the inputs (the op's output weighed by fixed random weights, or a loss op's value), and
// gradients(inputs) its analytic gradient with respect to each input that `wrt` lists, in order.
struct GradientCase {
  std::string name;  // the op, its options and the shape
  Tensors inputs;
  std::vector<std::size_t> wrt;
  std::vector<std::string> wrt_names;  // "dx", "dgamma", ...
  std::function<double(const Tensors& inputs)> loss;
  std::function<Tensors(const Tensors& inputs)> gradients;
  int probes = 48;  // central differences at this many elements of each input at most
};

struct OpDescription {
  std::string name;
  std::function<OpCase(const OpShapes&)> make;  // builds the operands only when called
  // The op's gradient checks at small shapes (odd sizes, one channel, not cubic); empty where
  // the op is not differentiated (a backward, labels, counts, an update).
  std::function<std::vector<GradientCase>()> gradients;
};

// Every op, in a fixed order.
const std::vector<OpDescription>& op_descriptions();

// The case's reference: c.reference, or c.op computed one precision wider on the CPU.
Op op_reference(const OpCase& c);

// Each output's tolerance: that of the narrower of its own dtype and the case's data (Adam's f16
// copy of f32 weights is rounded to f16; an f32 weight gradient of f16 data is computed from f16
// values); in f32, cases that count FLOPs (sums of products) get the long-sum tolerance; u8
// outputs (labels) must be exact.
std::vector<Tolerance> op_tolerances(const OpCase& c);

// Checks `c` on `device` against its reference.
ParityReport check_op(const OpCase& c, Device device);

}  // namespace unet3d
