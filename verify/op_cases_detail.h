// What the op description files share (verify/op_cases.cpp, op_cases_weights.cpp): the shapes a
// case derives from OpShapes, and how a description is appended.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "verify/op_cases.h"

namespace unet3d::op_cases {

// The first level and the level below it.
struct Level {
  Shape x, pooled, coarse, up, channels, logits, labels;
  DType act, stat;
  double bytes;  // one first-level activation
};

Level level_of(const OpShapes& k);

inline double bytes_of(const Shape& s, DType t) {
  return static_cast<double>(s.numel()) * static_cast<double>(dtype_size(t));
}

template <class... T>
Tensors tensors(T&&... t) {
  Tensors list;
  (list.push_back(std::move(t)), ...);
  return list;
}

// A case that moves memory and counts no FLOPs, checked against itself one precision wider.
inline OpCase memory_case(double bytes, Tensors inputs, std::vector<OutputSpec> outputs, Op op) {
  return OpCase{"", bytes, 0, std::move(inputs), std::move(outputs), std::move(op), {}};
}

// A norm's backward case: `forward` (x, gamma, beta into y and the saved statistics mean and
// inv_std, each of shape `saved`) runs once to give the statistics a real pass leaves; the case
// is `backward` of (x, y, dy, gamma, mean, inv_std) into dx, dgamma and dbeta.
using NormForward = std::function<void(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                       Tensor& mean, Tensor& inv_std, Tensor& y)>;
OpCase norm_backward_case(const Level& l, std::uint64_t s, const Shape& saved,
                          const NormForward& forward, Op backward);

// Builds a case (its name is filled in) from the shapes, the level and a seed of its own.
using Make = std::function<OpCase(const OpShapes&, const Level&, std::uint64_t seed)>;
// `gradients`: the op's gradient checks (verify/op_gradients.h), where it has them.
void describe(std::vector<OpDescription>& list, const std::string& name, const Make& make,
              std::function<std::vector<GradientCase>()> gradients = {});

// The families' descriptions, appended in a fixed order.
void activation_ops(std::vector<OpDescription>& list);
void batchnorm_ops(std::vector<OpDescription>& list);
void volume_ops(std::vector<OpDescription>& list);
void loss_ops(std::vector<OpDescription>& list);
void conv_ops(std::vector<OpDescription>& list);
void weight_ops(std::vector<OpDescription>& list);  // the upsampling and Adam
void configurable_network_ops(std::vector<OpDescription>& list);

}  // namespace unet3d::op_cases
