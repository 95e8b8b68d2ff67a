// The op descriptions of the ops with weights: the first level's 3x3x3 convolutions, the head's
// 1x1x1 one, the upsampling into the first level, the optimizers over every parameter, and the
// configurable network's own (a 1x3x3 convolution, instance norm with LeakyReLU).
#include "kernels/adam.h"
#include "kernels/instancenorm.h"
#include "kernels/sgd.h"
#include "kernels/step_control.h"
#include "layers/conv3d.h"
#include "layers/conv_algorithm.h"
#include "layers/conv_transpose3d.h"
#include "verify/op_cases_detail.h"
#include "verify/op_gradients.h"

namespace unet3d::op_cases {

namespace {

// begin_step's coefficients (kernels/step_control.h) for step `step` with a loss scale of 1, on
// the CPU: what the updates below read.
Tensor step_coefficients_of(bool adam, std::int64_t step) {
  const double counters[kOptimizerCounters] = {0, static_cast<double>(step - 1)};
  const double scaler[kScalerValues] = {1, 0, 0};
  Tensor coefficients(Shape::vector(kStepCoefficients), DType::f64);
  step_coefficients(counters, scaler, {adam, AdamOptions{}.lr, 0.9, 0.999},
                    coefficients.data_as<double>());
  return coefficients;
}

// An optimizer's case: the reference computes its f32 state in f64 (the coefficients, the first
// operand, are f64 already).
OpCase optimizer_case(double bytes, Tensor coefficients, std::vector<OutputSpec> state, DType stat,
                      Op op) {
  OpCase c = memory_case(bytes, tensors(std::move(coefficients)), std::move(state), op);
  c.reference = computed_in(stat, stat == DType::f16 ? DType::f32 : DType::f64, std::move(op));
  return c;
}

// The first level's convolution of kernel k (f -> f channels: 3x3x3, or an anisotropic level's
// 1x3x3) or the head's 1x1x1 one (f -> classes), in one direction.
Make conv_case(Grid k, ConvDirection direction) {
  return [k, direction](const OpShapes& s, const Level& l, std::uint64_t seed) {
    const Shape w{k.voxels() > 1 ? s.features : s.classes, k.d, k.h, k.w, s.features};
    const Shape y = l.x.with_channels(w.n);
    const double flops =
        2.0 * static_cast<double>(y.numel()) * static_cast<double>(w.c * k.voxels());
    OpCase c{"", l.bytes + bytes_of(y, l.act), flops, {}, {}, {}, {}};
    switch (direction) {
      case ConvDirection::forward:
        c.inputs = tensors(random_tensor(l.x, l.act, seed), random_tensor(w, l.act, seed + 1),
                           random_tensor(Shape::vector(w.n), l.act, seed + 2));
        c.outputs = {{y, l.act}};
        c.op = [](const Tensors& i, Tensors& o) { conv3d_forward(i[0], i[1], &i[2], o[0]); };
        break;
      case ConvDirection::backward_data:
        c.inputs = tensors(random_tensor(y, l.act, seed), random_tensor(w, l.act, seed + 1));
        c.outputs = {{l.x, l.act}};
        c.op = [](const Tensors& i, Tensors& o) { conv3d_backward_data(i[0], i[1], o[0]); };
        break;
      case ConvDirection::backward_filter:
        c.inputs = tensors(random_tensor(l.x, l.act, seed), random_tensor(y, l.act, seed + 1));
        c.outputs = {{w, l.stat, true}, {Shape::vector(w.n), l.stat, true}};
        c.op = [](const Tensors& i, Tensors& o) {
          conv3d_backward_weights(i[0], i[1], o[0], &o[1]);
        };
        break;
    }
    return c;
  };
}

}  // namespace

void conv_ops(std::vector<OpDescription>& list) {
  for (const int k : {3, 1}) {
    const std::string kernel = k == 3 ? "conv3d 3x3x3" : "conv3d 1x1x1 (head)";
    describe(list, kernel + " forward", conv_case(Grid::cube(k), ConvDirection::forward));
    describe(list, kernel + " backward data",
             conv_case(Grid::cube(k), ConvDirection::backward_data));
    describe(list, kernel + " backward weights",
             conv_case(Grid::cube(k), ConvDirection::backward_filter));
  }
}

void weight_ops(std::vector<OpDescription>& list) {
  // The upsampling into the first level: 2f channels at half the size -> f channels.
  const auto up_flops = [](const Level& l) {
    return 2.0 * static_cast<double>(l.coarse.numel()) * static_cast<double>(l.x.c) * 8;
  };
  describe(list, "conv_transpose3d forward", [=](const OpShapes&, const Level& l, std::uint64_t s) {
    const Shape w{l.coarse.c, 2, 2, 2, l.x.c};
    return OpCase{
        "",
        3 * l.bytes,
        up_flops(l),
        tensors(random_tensor(l.coarse, l.act, s), random_tensor(w, l.act, s + 1),
                random_tensor(l.channels, l.act, s + 2)),
        {{l.up, l.act}},
        [](const Tensors& i, Tensors& o) { conv_transpose3d_forward(i[0], i[1], i[2], o[0]); },
        {}};
  });
  describe(list, "conv_transpose3d backward",
           [=](const OpShapes&, const Level& l, std::uint64_t s) {
             const Shape w{l.coarse.c, 2, 2, 2, l.x.c};
             return OpCase{"",
                           4 * l.bytes,
                           2 * up_flops(l),
                           tensors(random_tensor(l.up, l.act, s), random_tensor(w, l.act, s + 1),
                                   random_tensor(l.coarse, l.act, s + 2)),
                           {{l.coarse, l.act}, {w, l.stat, true}, {l.channels, l.stat, true}},
                           [](const Tensors& i, Tensors& o) {
                             conv_transpose3d_backward_data(i[0], i[1], o[0]);
                             conv_transpose3d_backward_weights(i[2], i[0], o[1], o[2]);
                           },
                           {}};
           });

  // Adam over as many values as the network has parameters: value, gradient and both moments
  // read and written, and the f16 copy written in mixed precision.
  describe(
      list, "adam update (all parameters)", [](const OpShapes& s, const Level& l, std::uint64_t) {
        const Shape params = Shape::vector(s.parameters);
        const bool mixed = l.act == DType::f16;
        std::vector<OutputSpec> state{{params, l.stat, true},
                                      {params, l.stat, true},
                                      {params, l.stat, true},
                                      {params, l.stat, true, 0.0f, 1.0f}};  // second moment: >= 0
        if (mixed) state.push_back({params, DType::f16});
        return optimizer_case(
            (mixed ? 8.0 + 2.0 / 4 : 8.0) * bytes_of(params, l.stat), step_coefficients_of(true, 3),
            state, l.stat, [](const Tensors& i, Tensors& o) {
              adam_update({o[0], o[1], o[2], o[3], o.size() > 4 ? &o[4] : nullptr, {}, i[0]});
            });
      });

  // SGD with Nesterov momentum likewise: value, gradient and momentum buffer (past its first step).
  describe(list, "sgd update (all parameters)",
           [](const OpShapes& s, const Level& l, std::uint64_t) {
             const Shape params = Shape::vector(s.parameters);
             const bool mixed = l.act == DType::f16;
             std::vector<OutputSpec> state{
                 {params, l.stat, true}, {params, l.stat, true}, {params, l.stat, true}};
             if (mixed) state.push_back({params, DType::f16});
             return optimizer_case(
                 (mixed ? 6.0 + 2.0 / 4 : 6.0) * bytes_of(params, l.stat),
                 step_coefficients_of(false, 3), state, l.stat, [](const Tensors& i, Tensors& o) {
                   sgd_update({o[0], o[1], o[2], o.size() > 3 ? &o[3] : nullptr, {}, i[0]});
                 });
           });
}

void configurable_network_ops(std::vector<OpDescription>& list) {
  // An anisotropic level's convolution, flat along d: 9 taps, not 27.
  for (const auto& [name, direction] :
       {std::pair{" forward", ConvDirection::forward},
        std::pair{" backward data", ConvDirection::backward_data},
        std::pair{" backward weights", ConvDirection::backward_filter}})
    describe(list, "conv3d 1x3x3" + std::string(name), conv_case(Grid{1, 3, 3}, direction));
  // Instance norm with the fused LeakyReLU; backward gets the statistics of a real forward pass.
  describe(
      list, "instancenorm+leakyrelu forward",
      [](const OpShapes&, const Level& l, std::uint64_t s) {
        const Shape saved = Shape::vector(l.x.n * l.x.c);
        return memory_case(
            3 * l.bytes,
            tensors(random_tensor(l.x, l.act, s), random_tensor(l.channels, l.stat, s + 1),
                    random_tensor(l.channels, l.stat, s + 2)),
            {{l.x, l.act}, {saved, l.stat}, {saved, l.stat}}, [](const Tensors& i, Tensors& o) {
              instancenorm_forward({i[0], i[1], i[2], o[1], o[2], o[0], {Activation::leaky_relu}});
            });
      },
      instancenorm_gradients);
  describe(list, "instancenorm+leakyrelu backward",
           [](const OpShapes&, const Level& l, std::uint64_t s) {
             const auto forward = [](const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                     Tensor& mean, Tensor& inv, Tensor& y) {
               instancenorm_forward({x, gamma, beta, mean, inv, y, Activation::leaky_relu});
             };
             return norm_backward_case(
                 l, s, Shape::vector(l.x.n * l.x.c), forward, [](const Tensors& i, Tensors& o) {
                   instancenorm_backward({i[0], i[1], i[2], i[3], i[4], i[5], o[0], o[1], o[2],
                                          Activation::leaky_relu});
                 });
           });
}

}  // namespace unet3d::op_cases
