// The parity helper: runs one op on the CPU reference and on the CUDA backend on the same
// random inputs and compares every output. Outputs are poisoned with NaN before each run, so an
// element a kernel leaves unwritten fails the comparison; outputs an op accumulates into start
// from the same random values on both sides instead.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/tensor.h"
#include "verify/compare.h"

namespace unet3d {

using Tensors = std::vector<Tensor>;
// Reads `inputs`, writes `outputs`; all on one device.
using Op = std::function<void(const Tensors& inputs, Tensors& outputs)>;

struct OutputSpec {
  Shape shape;
  DType dtype;
  bool accumulates = false;
  float low = -1.0f, high = 1.0f;  // the range of an accumulating output's random start values
};

struct ParityReport {
  std::vector<Comparison> outputs;
  bool ok() const;
  std::string describe() const;
};

// Runs `reference` on CPU copies and `candidate` on `candidate_device` copies of `inputs`,
// then compares candidate outputs against reference outputs, output i by tolerances[i] (one
// tolerance: every output by it). check_parity() is this with the same op on both sides and the
// candidate on CUDA; the split exists so the helper itself can be shown to catch a faulty
// candidate.
ParityReport compare_runs(const Op& reference, const Op& candidate, Device candidate_device,
                          const Tensors& inputs, const std::vector<OutputSpec>& outputs,
                          const std::vector<Tolerance>& tolerances);
ParityReport compare_runs(const Op& reference, const Op& candidate, Device candidate_device,
                          const Tensors& inputs, const std::vector<OutputSpec>& outputs,
                          Tolerance tol);

ParityReport check_parity(const Op& op, const Tensors& inputs,
                          const std::vector<OutputSpec>& outputs, Tolerance tol);

// `body` run on copies of its operands with those in `narrow` converted to `wide`, its outputs
// rounded back into the originals: a reference computed with more precision than the op it
// checks. Operands in other dtypes (f32 statistics beside f16 data, u8 labels) are kept.
Op computed_in(DType narrow, DType wide, const Op& body);
// `body` as it is, except on f16 CPU tensors: there it is computed_in(f16, f32) (the CPU
// convolutions compute in f32 or f64 only).
Op widening(const Op& body);

// A CPU tensor of uniform values in [lo, hi) from the project's RNG.
Tensor random_tensor(Shape shape, DType dtype, std::uint64_t seed, float lo = -1.0f,
                     float hi = 1.0f);

// A CPU u8 label map for `shape`'s grid, classes in [0, classes) from the project's RNG; the
// class `absent` (if any) never occurs.
Tensor random_labels(Shape shape, int classes, std::uint64_t seed, int absent = -1);

}  // namespace unet3d
