// The kernel benchmarks. Bytes count each operand read or written once; FLOPs count the
// multiply-adds of the convolutions (2 per multiply-add).
#include "bench/kernel_cases.h"

#include "kernels/adam.h"
#include "kernels/batchnorm.h"
#include "kernels/channels.h"
#include "kernels/elementwise.h"
#include "kernels/loss.h"
#include "kernels/pool.h"
#include "kernels/softmax.h"
#include "layers/conv3d.h"
#include "layers/conv_transpose3d.h"

namespace unet3d::bench {
namespace {

double bytes_of(const Shape& s, DType t) {
  return static_cast<double>(s.numel()) * static_cast<double>(dtype_size(t));
}

}  // namespace

void add_kernel_cases(Harness& h, const KernelShapes& k) {
  const DType act = k.data, stat = k.master;
  const std::int64_t f = k.features, half = k.size / 2;
  const Shape level1{k.batch, k.size, k.size, k.size, f}, pooled{k.batch, half, half, half, f},
      channels = Shape::vector(f), logits = level1.with_channels(k.classes);
  const double a = bytes_of(level1, act);  // one first-level activation
  std::uint64_t seed = 100;
  const auto add = [&](const std::string& name, const std::function<Case()>& make) {
    ++seed;
    if (h.selected(name)) h.add(make());
  };
  const auto random = [&](const Shape& s, DType t) { return random_tensor(s, t, seed++); };
  const auto inputs = [](auto&&... t) {
    Tensors list;
    (list.push_back(std::move(t)), ...);
    return list;
  };

  add("relu forward", [&] {
    return Case{"relu forward",
                2 * a,
                0,
                inputs(random(level1, act)),
                {{level1, act}},
                [](const Tensors& i, Tensors& o) { relu_forward(i[0], o[0]); },
                {}};
  });
  add("relu backward", [&] {
    return Case{"relu backward",
                3 * a,
                0,
                inputs(random(level1, act), random(level1, act)),
                {{level1, act}},
                [](const Tensors& i, Tensors& o) { relu_backward(i[0], i[1], o[0]); },
                {}};
  });

  // BatchNorm with the fused ReLU; backward gets the statistics of a real forward pass.
  add("batchnorm+relu forward (train)", [&] {
    return Case{"batchnorm+relu forward (train)",
                3 * a,
                0,
                inputs(random(level1, act), random(channels, stat), random(channels, stat)),
                {{level1, act},
                 {channels, stat, true},
                 {channels, stat, true, 0.5f, 1.5f},  // running variance: positive
                 {channels, stat},
                 {channels, stat}},
                [](const Tensors& i, Tensors& o) {
                  batchnorm_forward_train(i[0], i[1], i[2], o[1], o[2], o[3], o[4], o[0], {true});
                },
                {}};
  });
  add("batchnorm+relu backward", [&] {
    Tensor x = random(level1, act), gamma = random(channels, stat), beta = random(channels, stat);
    Tensor y(level1, act), mean(channels, stat), inv(channels, stat), rm(channels, stat),
        rv(channels, stat);
    fill(rv, 1.0);
    batchnorm_forward_train(x, gamma, beta, rm, rv, mean, inv, y, {true});
    return Case{"batchnorm+relu backward",
                5 * a,
                0,
                inputs(std::move(x), std::move(y), random(level1, act), std::move(gamma),
                       std::move(mean), std::move(inv)),
                {{level1, act}, {channels, stat, true}, {channels, stat, true}},
                [](const Tensors& i, Tensors& o) {
                  batchnorm_backward(i[0], i[1], i[2], i[3], i[4], i[5], o[0], o[1], o[2], {true});
                },
                {}};
  });

  add("maxpool forward", [&] {
    return Case{"maxpool forward",
                a * 1.125,
                0,
                inputs(random(level1, act)),
                {{pooled, act}},
                [](const Tensors& i, Tensors& o) { maxpool_forward(i[0], o[0]); },
                {}};
  });
  add("maxpool backward", [&] {
    return Case{"maxpool backward",
                a * 2.125,
                0,
                inputs(random(level1, act), random(pooled, act)),
                {{level1, act}},
                [](const Tensors& i, Tensors& o) { maxpool_backward(i[0], i[1], o[0]); },
                {}};
  });

  const Shape joined = level1.with_channels(2 * f);
  add("concat channels", [&] {
    return Case{"concat channels",
                4 * a,
                0,
                inputs(random(level1, act), random(level1, act)),
                {{joined, act}},
                [](const Tensors& i, Tensors& o) { concat_channels(i[0], i[1], o[0]); },
                {}};
  });
  add("split channels", [&] {
    return Case{"split channels",
                4 * a,
                0,
                inputs(random(joined, act)),
                {{level1, act}, {level1, act}},
                [](const Tensors& i, Tensors& o) { split_channels(i[0], o[0], o[1]); },
                {}};
  });

  const double l = bytes_of(logits, act);
  add("softmax forward", [&] {
    return Case{"softmax forward",
                2 * l,
                0,
                inputs(random(logits, act)),
                {{logits, act}},
                [](const Tensors& i, Tensors& o) { softmax_forward(i[0], o[0]); },
                {}};
  });
  const auto loss_inputs = [&] {
    return inputs(random(logits, act), random_labels(level1, static_cast<int>(k.classes), seed++));
  };
  add("dice loss + gradient", [&] {
    return Case{"dice loss + gradient",
                3 * l,
                0,
                loss_inputs(),
                {{Shape::scalar(), stat}, {logits, act}},
                [](const Tensors& i, Tensors& o) { dice_loss(i[0], i[1], false, o[0], {&o[1]}); },
                {}};
  });
  add("cross-entropy + gradient", [&] {
    return Case{
        "cross-entropy + gradient",
        3 * l,
        0,
        loss_inputs(),
        {{Shape::scalar(), stat}, {logits, act}},
        [](const Tensors& i, Tensors& o) { cross_entropy(i[0], i[1], nullptr, o[0], {&o[1]}); },
        {}};
  });

  // The 3x3x3 convolution of the first level, f -> f channels.
  const Shape w3{f, 3, 3, 3, f};
  const double conv_flops = 2.0 * static_cast<double>(level1.numel()) * static_cast<double>(f) * 27;
  add("conv3d 3x3x3 forward", [&] {
    return Case{"conv3d 3x3x3 forward",
                2 * a,
                conv_flops,
                inputs(random(level1, act), random(w3, act)),
                {{level1, act}},
                [](const Tensors& i, Tensors& o) { conv3d_forward(i[0], i[1], nullptr, o[0]); },
                {}};
  });
  add("conv3d 3x3x3 backward data", [&] {
    return Case{"conv3d 3x3x3 backward data",
                2 * a,
                conv_flops,
                inputs(random(level1, act), random(w3, act)),
                {{level1, act}},
                [](const Tensors& i, Tensors& o) { conv3d_backward_data(i[0], i[1], o[0]); },
                {}};
  });
  add("conv3d 3x3x3 backward weights", [&] {
    return Case{
        "conv3d 3x3x3 backward weights",
        2 * a,
        conv_flops,
        inputs(random(level1, act), random(level1, act)),
        {{w3, stat, true}},
        [](const Tensors& i, Tensors& o) { conv3d_backward_weights(i[0], i[1], o[0], nullptr); },
        {}};
  });

  // The upsampling into the first level: 2f channels at half the size -> f channels.
  const Shape coarse = pooled.with_channels(2 * f), wt{2 * f, 2, 2, 2, f};
  const double up_flops = 2.0 * static_cast<double>(coarse.numel()) * static_cast<double>(f) * 8;
  add("conv_transpose3d forward", [&] {
    return Case{
        "conv_transpose3d forward",
        3 * a,
        up_flops,
        inputs(random(coarse, act), random(wt, act), random(channels, act)),
        {{level1, act}},
        [](const Tensors& i, Tensors& o) { conv_transpose3d_forward(i[0], i[1], i[2], o[0]); },
        {}};
  });
  add("conv_transpose3d backward", [&] {
    return Case{"conv_transpose3d backward",
                4 * a,
                2 * up_flops,
                inputs(random(level1, act), random(wt, act), random(coarse, act)),
                {{coarse, act}, {wt, stat, true}, {channels, stat, true}},
                [](const Tensors& i, Tensors& o) {
                  conv_transpose3d_backward_data(i[0], i[1], o[0]);
                  conv_transpose3d_backward_weights(i[2], i[0], o[1], o[2]);
                },
                {}};
  });

  // Adam over as many values as the network has parameters: value, gradient and both moments
  // read and written, and the f16 copy written in mixed precision.
  const Shape params = Shape::vector(k.parameters);
  const bool mixed = act == DType::f16;
  add("adam update (all parameters)", [&] {
    std::vector<OutputSpec> state{{params, stat, true},
                                  {params, stat, true},
                                  {params, stat, true},
                                  {params, stat, true, 0.0f, 1.0f}};  // second moment: >= 0
    if (mixed) state.push_back({params, DType::f16});
    return Case{"adam update (all parameters)",
                (mixed ? 8.0 + 2.0 / 4 : 8.0) * bytes_of(params, stat),
                0,
                {},
                state,
                [](const Tensors&, Tensors& o) {
                  adam_update(o[0], o[1], o[2], o[3], o.size() > 4 ? &o[4] : nullptr, {});
                },
                {}};
  });
}

}  // namespace unet3d::bench
