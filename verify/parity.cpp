// The parity helper.
#include "verify/parity.h"

#include <cmath>
#include <limits>

#include "kernels/elementwise.h"
#include "runtime/rng.h"

namespace unet3d {
namespace {

Tensors copies_on(const Tensors& tensors, Device device) {
  Tensors out;
  for (const Tensor& t : tensors) out.push_back(t.to(device));
  return out;
}

// Poisoned on the host and copied over, so the fill kernel under test is not what poisons.
// Integer outputs cannot hold NaN; all-ones bits is the nearest thing to an impossible value.
void poison(Tensor& t) {
  Tensor host(t.shape(), t.dtype(), Device::cpu);
  fill({host, is_floating(t.dtype()) ? std::numeric_limits<double>::quiet_NaN() : 255.0});
  t.copy_from(host);
}

Tensors make_outputs(const std::vector<OutputSpec>& specs, Device device, std::uint64_t seed) {
  Tensors out;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    Tensor t(specs[i].shape, specs[i].dtype, device);
    if (specs[i].accumulates)
      t.copy_from(
          random_tensor(specs[i].shape, specs[i].dtype, seed + i, specs[i].low, specs[i].high));
    else
      poison(t);
    out.push_back(std::move(t));
  }
  return out;
}

// A copy of t, in `wide` where t is in `narrow`; on t's device.
Tensor widened(const Tensor& t, DType narrow, DType wide) {
  if (t.dtype() != narrow) return t.to(t.device());
  Tensor w(t.shape(), wide, t.device());
  cast({t, w});
  return w;
}

}  // namespace

bool ParityReport::ok() const {
  for (const Comparison& c : outputs)
    if (!c.ok) return false;
  return !outputs.empty();
}

std::string ParityReport::describe() const {
  std::string text;
  for (std::size_t i = 0; i < outputs.size(); ++i)
    text += concat("output ", i, ": ", outputs[i].describe(), "\n");
  return text;
}

ParityReport compare_runs(const Op& reference, const Op& candidate, Device candidate_device,
                          const Tensors& inputs, const std::vector<OutputSpec>& outputs,
                          const std::vector<Tolerance>& tolerances) {
  UNET3D_USAGE_CHECK(tolerances.size() == outputs.size(), "compare_runs: ", tolerances.size(),
                     " tolerances for ", outputs.size(), " outputs");
  constexpr std::uint64_t kAccumulatorSeed = 0xACC;
  const Tensors ref_inputs = copies_on(inputs, Device::cpu);
  Tensors ref_outputs = make_outputs(outputs, Device::cpu, kAccumulatorSeed);
  reference(ref_inputs, ref_outputs);

  const Tensors cand_inputs = copies_on(inputs, candidate_device);
  Tensors cand_outputs = make_outputs(outputs, candidate_device, kAccumulatorSeed);
  candidate(cand_inputs, cand_outputs);

  ParityReport report;
  for (std::size_t i = 0; i < outputs.size(); ++i)
    report.outputs.push_back(compare(cand_outputs[i], ref_outputs[i], tolerances[i]));
  return report;
}

ParityReport compare_runs(const Op& reference, const Op& candidate, Device candidate_device,
                          const Tensors& inputs, const std::vector<OutputSpec>& outputs,
                          Tolerance tol) {
  return compare_runs(reference, candidate, candidate_device, inputs, outputs,
                      std::vector<Tolerance>(outputs.size(), tol));
}

ParityReport check_parity(const Op& op, const Tensors& inputs,
                          const std::vector<OutputSpec>& outputs, Tolerance tol) {
  return compare_runs(op, op, Device::cuda, inputs, outputs, tol);
}

Op computed_in(DType narrow, DType wide, const Op& body) {
  return [narrow, wide, body](const Tensors& in, Tensors& out) {
    Tensors wide_in, wide_out;
    for (const Tensor& t : in) wide_in.push_back(widened(t, narrow, wide));
    for (const Tensor& t : out) wide_out.push_back(widened(t, narrow, wide));
    body(wide_in, wide_out);
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i].dtype() == narrow)
        cast({wide_out[i], out[i]});
      else
        copy({wide_out[i], out[i]});  // kept as it was: statistics beside f16 data, labels
    }
  };
}

Op widening(const Op& body) {
  return [body](const Tensors& in, Tensors& out) {
    if (!in[0].is_cuda() && in[0].dtype() == DType::f16)
      return computed_in(DType::f16, DType::f32, body)(in, out);
    body(in, out);
  };
}

Tensor random_tensor(Shape shape, DType dtype, std::uint64_t seed, float lo, float hi) {
  Tensor t(shape, dtype, Device::cpu);
  fill_uniform({t, seed, lo, hi});
  return t;
}

Tensor random_labels(Shape shape, int classes, std::uint64_t seed, int absent) {
  Tensor t(shape.with_channels(1), DType::u8);
  Rng rng(seed);
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    auto c = static_cast<int>(rng.below(static_cast<std::uint64_t>(classes)));
    if (c == absent) c = (c + 1) % classes;
    t.data_as<std::uint8_t>()[i] = static_cast<std::uint8_t>(c);
  }
  return t;
}

}  // namespace unet3d
