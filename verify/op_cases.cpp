// The op descriptions. Bytes count each operand read or written once; FLOPs count the
// multiply-adds of the convolutions (2 per multiply-add).
#include "verify/op_cases.h"

#include "kernels/accumulate.h"
#include "kernels/adam.h"
#include "kernels/batchnorm.h"
#include "kernels/channels.h"
#include "kernels/elementwise.h"
#include "kernels/flip.h"
#include "kernels/loss.h"
#include "kernels/metrics.h"
#include "kernels/pool.h"
#include "kernels/resize.h"
#include "kernels/softmax.h"
#include "verify/op_cases_detail.h"
#include "verify/op_gradients.h"

namespace unet3d::op_cases {

Level level_of(const OpShapes& k) {
  const Shape& g = k.grid;
  Level l;
  l.x = g.with_channels(k.features);
  l.pooled = {g.n, g.d / 2, g.h / 2, g.w / 2, k.features};
  l.coarse = l.pooled.with_channels(2 * k.features);
  l.up = {g.n, 2 * (g.d / 2), 2 * (g.h / 2), 2 * (g.w / 2), k.features};
  l.channels = Shape::vector(k.features);
  l.logits = g.with_channels(k.classes);
  l.labels = g.with_channels(1);
  l.act = k.data, l.stat = k.master;
  l.bytes = bytes_of(l.x, k.data);
  return l;
}

OpCase norm_backward_case(const Level& l, std::uint64_t s, const Shape& saved,
                          const NormForward& forward, Op backward) {
  Tensor x = random_tensor(l.x, l.act, s), gamma = random_tensor(l.channels, l.stat, s + 1),
         beta = random_tensor(l.channels, l.stat, s + 2);
  Tensor y(l.x, l.act), mean(saved, l.stat), inv(saved, l.stat);
  forward(x, gamma, beta, mean, inv, y);
  return memory_case(5 * l.bytes,
                     tensors(std::move(x), std::move(y), random_tensor(l.x, l.act, s + 3),
                             std::move(gamma), std::move(mean), std::move(inv)),
                     {{l.x, l.act}, {l.channels, l.stat, true}, {l.channels, l.stat, true}},
                     std::move(backward));
}

void describe(std::vector<OpDescription>& list, const std::string& name, const Make& make,
              std::function<std::vector<GradientCase>()> gradients) {
  const std::uint64_t seed = 1000 + 100 * list.size();  // operands of its own
  list.push_back({name,
                  [name, make, seed](const OpShapes& k) {
                    OpCase c = make(k, level_of(k), seed);
                    c.name = name;
                    return c;
                  },
                  std::move(gradients)});
}

void activation_ops(std::vector<OpDescription>& list) {
  describe(
      list, "relu forward",
      [](const OpShapes&, const Level& l, std::uint64_t s) {
        return memory_case(2 * l.bytes, tensors(random_tensor(l.x, l.act, s)), {{l.x, l.act}},
                           [](const Tensors& i, Tensors& o) {
                             relu_forward({i[0], o[0]});
                           });
      },
      relu_gradients);
  describe(list, "relu backward", [](const OpShapes&, const Level& l, std::uint64_t s) {
    return memory_case(3 * l.bytes,
                       tensors(random_tensor(l.x, l.act, s), random_tensor(l.x, l.act, s + 1)),
                       {{l.x, l.act}}, [](const Tensors& i, Tensors& o) {
                         relu_backward({i[0], i[1], o[0]});
                       });
  });
  describe(list, "bias + bias gradient", [](const OpShapes&, const Level& l, std::uint64_t s) {
    return memory_case(
        3 * l.bytes, tensors(random_tensor(l.x, l.act, s), random_tensor(l.channels, l.act, s + 1)),
        {{l.x, l.act, true}, {l.channels, l.stat, true}}, [](const Tensors& i, Tensors& o) {
          add_channel_bias({o[0], i[1]});
          accumulate_channel_sums({i[0], o[1]});
        });
  });
}

void batchnorm_ops(std::vector<OpDescription>& list) {
  // BatchNorm with the fused ReLU; backward gets the statistics of a real forward pass.
  describe(
      list, "batchnorm+relu forward (train)",
      [](const OpShapes&, const Level& l, std::uint64_t s) {
        return memory_case(
            3 * l.bytes,
            tensors(random_tensor(l.x, l.act, s), random_tensor(l.channels, l.stat, s + 1),
                    random_tensor(l.channels, l.stat, s + 2)),
            {{l.x, l.act},
             {l.channels, l.stat, true},
             {l.channels, l.stat, true, 0.5f, 1.5f},  // running variance: positive
             {l.channels, l.stat},
             {l.channels, l.stat}},
            [](const Tensors& i, Tensors& o) {
              batchnorm_forward_train(
                  {i[0], i[1], i[2], o[1], o[2], o[3], o[4], o[0], {Activation::relu}});
            });
      },
      batchnorm_gradients);
  describe(list, "batchnorm+relu backward", [](const OpShapes&, const Level& l, std::uint64_t s) {
    const auto forward = [&](const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& mean,
                             Tensor& inv, Tensor& y) {
      Tensor rm(l.channels, l.stat), rv(l.channels, l.stat);
      fill({rv, 1.0});
      batchnorm_forward_train({x, gamma, beta, rm, rv, mean, inv, y, Activation::relu});
    };
    return norm_backward_case(l, s, l.channels, forward, [](const Tensors& i, Tensors& o) {
      batchnorm_backward({i[0], i[1], i[2], i[3], i[4], i[5], o[0], o[1], o[2], Activation::relu});
    });
  });
  describe(list, "batchnorm+relu forward (eval)",
           [](const OpShapes&, const Level& l, std::uint64_t s) {
             return memory_case(
                 2 * l.bytes,
                 tensors(random_tensor(l.x, l.act, s), random_tensor(l.channels, l.stat, s + 1),
                         random_tensor(l.channels, l.stat, s + 2),
                         random_tensor(l.channels, l.stat, s + 3),
                         random_tensor(l.channels, l.stat, s + 4, 0.5f, 2.0f)),
                 {{l.x, l.act}}, [](const Tensors& i, Tensors& o) {
                   batchnorm_forward_eval({i[0], i[1], i[2], i[3], i[4], o[0], {Activation::relu}});
                 });
           });
  describe(list, "batchnorm forward + backward (train, no ReLU)",
           [](const OpShapes&, const Level& l, std::uint64_t s) {
             const Shape& v = l.channels;
             return memory_case(
                 7 * l.bytes,
                 tensors(random_tensor(l.x, l.act, s, -2.0f, 3.0f),
                         random_tensor(v, l.stat, s + 1, 0.5f, 1.5f),
                         random_tensor(v, l.stat, s + 2), random_tensor(l.x, l.act, s + 3)),
                 {{l.x, l.act},
                  {v, l.stat},
                  {v, l.stat},
                  {v, l.stat, true},
                  {v, l.stat, true, 0.5f, 1.5f},
                  {l.x, l.act},
                  {v, l.stat, true},
                  {v, l.stat, true}},
                 [](const Tensors& i, Tensors& o) {
                   batchnorm_forward_train(
                       {i[0], i[1], i[2], o[3], o[4], o[1], o[2], o[0], {Activation::none}});
                   batchnorm_backward(
                       {i[0], o[0], i[3], i[1], o[1], o[2], o[5], o[6], o[7], {Activation::none}});
                 });
           });
}

void volume_ops(std::vector<OpDescription>& list) {
  describe(
      list, "maxpool forward",
      [](const OpShapes&, const Level& l, std::uint64_t s) {
        return memory_case(l.bytes * 1.125, tensors(random_tensor(l.x, l.act, s)),
                           {{l.pooled, l.act}}, [](const Tensors& i, Tensors& o) {
                             maxpool_forward({i[0], o[0]});
                           });
      },
      maxpool_gradients);
  describe(list, "maxpool backward", [](const OpShapes&, const Level& l, std::uint64_t s) {
    return memory_case(l.bytes * 2.125,
                       tensors(random_tensor(l.x, l.act, s), random_tensor(l.pooled, l.act, s + 1)),
                       {{l.x, l.act}}, [](const Tensors& i, Tensors& o) {
                         maxpool_backward({i[0], i[1], o[0]});
                       });
  });
  describe(
      list, "concat channels",
      [](const OpShapes&, const Level& l, std::uint64_t s) {
        return memory_case(
            4 * l.bytes, tensors(random_tensor(l.x, l.act, s), random_tensor(l.x, l.act, s + 1)),
            {{l.x.with_channels(2 * l.x.c), l.act}}, [](const Tensors& i, Tensors& o) {
              concat_channels({i[0], i[1], o[0]});
            });
      },
      concat_gradients);
  describe(list, "split channels", [](const OpShapes&, const Level& l, std::uint64_t s) {
    return memory_case(4 * l.bytes, tensors(random_tensor(l.x.with_channels(2 * l.x.c), l.act, s)),
                       {{l.x, l.act}, {l.x, l.act}}, [](const Tensors& i, Tensors& o) {
                         split_channels({i[0], o[0], o[1]});
                       });
  });
  describe(list, "pad and crop channels", [](const OpShapes&, const Level& l, std::uint64_t s) {
    const Shape padded{l.x.n + 1, l.x.d, l.x.h, l.x.w, (l.x.c + 8) / 8 * 8};
    return memory_case(2 * (l.bytes + bytes_of(padded, l.act)),
                       tensors(random_tensor(l.x, l.act, s), random_tensor(padded, l.act, s + 1)),
                       {{padded, l.act}, {l.x, l.act}}, [](const Tensors& i, Tensors& o) {
                         pad_channels({i[0], o[0]});
                         crop_channels({i[1], o[1]});
                       });
  });
  // The input's trilinear resize from a grid of other proportions.
  describe(list, "resize trilinear", [](const OpShapes&, const Level& l, std::uint64_t s) {
    const Shape from{l.x.n, l.x.d + 3, (l.x.h + 1) / 2, l.x.w * 3 / 2, 1};
    return memory_case(bytes_of(from, l.act) + bytes_of(l.labels, l.act),
                       tensors(random_tensor(from, l.act, s)), {{l.labels, l.act}},
                       [](const Tensors& i, Tensors& o) {
                         resize_trilinear({i[0], o[0]});
                       });
  });
  // The native-grid labels of class probabilities (f32 whatever the data's dtype), on a grid
  // larger than the network's as native grids are.
  describe(list, "native labels: resize trilinear + argmax",
           [](const OpShapes& k, const Level& l, std::uint64_t s) {
             const Shape from = l.x.with_channels(k.classes);
             const Shape to{l.x.n, l.x.d * 3 / 2, l.x.h + 5, l.x.w * 2, 1};
             return memory_case(bytes_of(from, DType::f32) + static_cast<double>(to.numel()),
                                tensors(random_tensor(from, DType::f32, s, 0.0f, 1.0f)),
                                {{to, DType::u8}}, [](const Tensors& i, Tensors& o) {
                                  resize_trilinear_argmax({i[0], o[0]});
                                });
           });
  describe(
      list, "labels: resize nearest, flip", [](const OpShapes& k, const Level& l, std::uint64_t s) {
        const Shape from{l.x.n, l.x.d * 2 + 1, l.x.h + 3, (l.x.w + 1) / 2, 1};
        return memory_case(2 * static_cast<double>(from.numel() + l.labels.numel()),
                           tensors(random_labels(from, static_cast<int>(k.classes), s),
                                   random_labels(l.labels, static_cast<int>(k.classes), s + 1)),
                           {{l.labels, DType::u8}, {l.labels, DType::u8}},
                           [](const Tensors& i, Tensors& o) {
                             resize_nearest({i[0], o[0]});
                             flip({i[1], o[1], kFlipD | kFlipW});
                           });
      });
}

void loss_ops(std::vector<OpDescription>& list) {
  const auto logits_and_labels = [](const OpShapes& k, const Level& l, std::uint64_t s) {
    return tensors(random_tensor(l.logits, l.act, s, -3.0f, 3.0f),
                   random_labels(l.labels, static_cast<int>(k.classes), s + 1),
                   random_tensor(Shape::vector(k.classes), l.stat, s + 2, 0.2f, 3.0f));
  };
  describe(list, "softmax forward", [](const OpShapes&, const Level& l, std::uint64_t s) {
    const double b = bytes_of(l.logits, l.act);
    return memory_case(2 * b, tensors(random_tensor(l.logits, l.act, s, -3.0f, 3.0f)),
                       {{l.logits, l.act}}, [](const Tensors& i, Tensors& o) {
                         softmax_forward({i[0], o[0]});
                       });
  });
  describe(
      list, "dice loss + gradient",
      [=](const OpShapes& k, const Level& l, std::uint64_t s) {
        return memory_case(3 * bytes_of(l.logits, l.act), logits_and_labels(k, l, s),
                           {{Shape::scalar(), l.stat}, {l.logits, l.act}},
                           [](const Tensors& i, Tensors& o) {
                             dice_loss({i[0], i[1], false, o[0], {&o[1]}});
                           });
      },
      dice_gradients);
  describe(
      list, "cross-entropy + gradient",
      [=](const OpShapes& k, const Level& l, std::uint64_t s) {
        return memory_case(3 * bytes_of(l.logits, l.act), logits_and_labels(k, l, s),
                           {{Shape::scalar(), l.stat}, {l.logits, l.act}},
                           [](const Tensors& i, Tensors& o) {
                             cross_entropy({i[0], i[1], nullptr, o[0], {&o[1]}});
                           });
      },
      cross_entropy_gradients);
  // The original project's loss: weighted CE and log Dice without background, gradients added.
  describe(
      list, "combined loss + gradient",
      [=](const OpShapes& k, const Level& l, std::uint64_t s) {
        return memory_case(
            4 * bytes_of(l.logits, l.act), logits_and_labels(k, l, s),
            {{Shape::vector(3), l.stat}, {l.logits, l.act, true}},
            [](const Tensors& i, Tensors& o) {
              combined_loss({i[0], i[1], i[2], 0.5, 0.5, true, o[0], {&o[1], 0.5, true}});
            });
      },
      combined_loss_gradients);
  describe(list, "argmax + Dice counts", [](const OpShapes& k, const Level& l, std::uint64_t s) {
    return memory_case(bytes_of(l.logits, l.act),
                       tensors(random_tensor(l.logits, l.act, s, -3.0f, 3.0f),
                               random_labels(l.labels, static_cast<int>(k.classes), s + 1)),
                       {{l.labels, DType::u8}, {{l.x.n, 1, 1, 3, k.classes}, DType::f64}},
                       [](const Tensors& i, Tensors& o) {
                         argmax_channels({i[0], o[0]});
                         dice_counts({o[0], i[1], o[1]});
                       });
  });
}

}  // namespace unet3d::op_cases

namespace unet3d {
namespace {

// The dtype a case's data is in: that of its first floating-point operand; u8 where it has
// none (label maps).
DType data_dtype(const OpCase& c) {
  for (const Tensor& t : c.inputs)
    if (is_floating(t.dtype())) return t.dtype();
  for (const OutputSpec& o : c.outputs)
    if (is_floating(o.dtype)) return o.dtype;
  return DType::u8;
}

DType narrower(DType a, DType b) {
  return dtype_size(a) < dtype_size(b) ? a : b;
}

}  // namespace

const std::vector<OpDescription>& op_descriptions() {
  static const std::vector<OpDescription> all = [] {
    std::vector<OpDescription> list;
    op_cases::activation_ops(list);
    op_cases::batchnorm_ops(list);
    op_cases::volume_ops(list);
    op_cases::loss_ops(list);
    op_cases::conv_ops(list);
    op_cases::weight_ops(list);
    op_cases::configurable_network_ops(list);  // last, so the others keep their operands
    return list;
  }();
  return all;
}

Op op_reference(const OpCase& c) {
  if (c.reference) return c.reference;
  const DType data = data_dtype(c);
  if (data == DType::u8) return c.op;  // moves labels: nothing to widen
  return computed_in(data, data == DType::f16 ? DType::f32 : DType::f64, c.op);
}

std::vector<Tolerance> op_tolerances(const OpCase& c) {
  const DType data = data_dtype(c);
  std::vector<Tolerance> tolerances;
  for (const OutputSpec& o : c.outputs) {
    const DType precision = data == DType::u8 ? o.dtype : narrower(o.dtype, data);
    tolerances.push_back(tolerance(precision == DType::u8    ? Check::exact
                                   : precision == DType::f16 ? Check::parity_f16
                                   : c.flops > 0             ? Check::reduction_f32
                                                             : Check::parity_f32));
  }
  return tolerances;
}

ParityReport check_op(const OpCase& c, Device device) {
  return compare_runs(op_reference(c), c.op, device, c.inputs, c.outputs, op_tolerances(c));
}

}  // namespace unet3d
