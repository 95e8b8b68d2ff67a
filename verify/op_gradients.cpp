// The ops' gradient checks (op_gradients.h). Each case weighs the op's output with fixed random
// weights, so that the weights are the gradient reaching the output and the backward call gives
// the inputs' gradients; a loss op is its own scalar. The first shapes of each op are those its
// checks were first written at (tests/cpu), the others add odd, one-channel and non-cubic grids.
#include "verify/op_gradients.h"

#include <memory>
#include <string>
#include <utility>

#include "kernels/batchnorm.h"
#include "kernels/channels.h"
#include "kernels/elementwise.h"
#include "kernels/instancenorm.h"
#include "kernels/loss.h"
#include "kernels/pool.h"
#include "runtime/error.h"

namespace unet3d::op_cases {
namespace {

using Forward = std::function<void(const Tensors& in, Tensor& out)>;
using Backward = std::function<Tensors(const Tensors& in, const Tensor& weights)>;

Tensor f64(const Shape& s) {
  return Tensor(s, DType::f64);
}

Tensor zeros(const Shape& s) {
  Tensor t = f64(s);
  fill({t, 0.0});
  return t;
}

// A case whose loss is sum(forward(inputs) * weights), the weights uniform in [-1, 1.3) from
// `seed` unless `lo` and `hi` say otherwise.
GradientCase weighed(std::string name, Tensors inputs, std::vector<std::size_t> wrt,
                     std::vector<std::string> names, const Shape& out, std::uint64_t seed,
                     Forward forward, Backward backward, float lo = -1.0f, float hi = 1.3f) {
  const auto weights = std::make_shared<Tensor>(random_tensor(out, DType::f64, seed, lo, hi));
  const auto output = std::make_shared<Tensor>(f64(out));
  GradientCase c{std::move(name), std::move(inputs), std::move(wrt), std::move(names), {}, {}};
  c.loss = [=](const Tensors& in) {
    forward(in, *output);
    return dot(*output, *weights);
  };
  c.gradients = [=](const Tensors& in) { return backward(in, *weights); };
  return c;
}

// A loss op's case: loss(inputs, gradient or null) writes the value into a tensor of shape
// `values`, whose first element is the loss.
GradientCase scalar(std::string name, Tensors inputs, const Shape& values,
                    std::function<void(const Tensors& in, Tensor& loss, Tensor* grad)> loss) {
  const auto value = std::make_shared<Tensor>(f64(values));
  GradientCase c{std::move(name), std::move(inputs), {0}, {"dlogits"}, {}, {}};
  c.loss = [=](const Tensors& in) {
    loss(in, *value, nullptr);
    return to_doubles(*value)[0];
  };
  c.gradients = [=](const Tensors& in) {
    Tensors grads;
    grads.push_back(f64(in[0].shape()));
    loss(in, *value, &grads[0]);
    return grads;
  };
  return c;
}

std::string with_activation(const std::string& op, Activation a, const Shape& s) {
  const char* suffix = a == Activation::relu         ? "+relu"
                       : a == Activation::leaky_relu ? "+leakyrelu"
                                                     : "";
  return op + suffix + " " + s.str();
}

constexpr Activation kActivations[] = {Activation::none, Activation::relu, Activation::leaky_relu};

// x, gamma and beta of a norm's case, as the first checks drew them from `seed`.
Tensors norm_inputs(const Shape& s, std::uint64_t seed) {
  Tensors in;
  in.push_back(random_tensor(s, DType::f64, seed, -1.5f, 2.5f));
  in.push_back(random_tensor(Shape::vector(s.c), DType::f64, seed + 1, 0.5f, 1.5f));
  in.push_back(random_tensor(Shape::vector(s.c), DType::f64, seed + 2, -0.5f, 0.5f));
  return in;
}

}  // namespace

std::vector<GradientCase> relu_gradients() {
  std::vector<GradientCase> cases;
  for (const Shape s : {Shape{2, 3, 5, 3, 3}, Shape{1, 5, 3, 7, 1}}) {
    // Values at least 0.05 from zero, so a probe's step never crosses the kink.
    Tensor x = random_tensor(s, DType::f64, 200, 0.05f, 1.0f);
    for (std::int64_t i = 0; i < x.numel(); i += 2) x.data_as<double>()[i] *= -1;
    Tensors in;
    in.push_back(std::move(x));
    cases.push_back(weighed(
        "relu " + s.str(), std::move(in), {0}, {"dx"}, s, 201,
        [](const Tensors& i, Tensor& y) {
          relu_forward({i[0], y});
        },
        [s](const Tensors& i, const Tensor& w) {
          Tensor y = f64(s);
          Tensors g;
          g.push_back(f64(s));
          relu_forward({i[0], y});
          relu_backward({y, w, g[0]});
          return g;
        }));
  }
  return cases;
}

namespace {

// A norm's forward (x, gamma and beta into y and the saved statistics) and backward (into dx,
// dgamma and dbeta, from y, the weights and the saved statistics), for activation `a`.
using NormForward = std::function<void(Activation a, const Tensors& in, Tensors& saved, Tensor& y)>;
using NormBackward = std::function<void(Activation a, const Tensors& in, const Tensor& y,
                                        const Tensor& dy, Tensors& saved, Tensors& grads)>;

// A norm's cases at each shape and activation: inputs drawn from `seed`, the weights from
// `weight_seed`; `per_sample`: statistics per sample and channel.
std::vector<GradientCase> norm_gradients(const std::string& op, std::initializer_list<Shape> shapes,
                                         std::uint64_t seed, std::uint64_t weight_seed,
                                         bool per_sample, const NormForward& forward,
                                         const NormBackward& backward) {
  std::vector<GradientCase> cases;
  for (const Shape s : shapes)
    for (const Activation a : kActivations) {
      const auto saved = std::make_shared<Tensors>();
      for (int k = 0; k < 2; ++k)
        saved->push_back(f64(Shape::vector((per_sample ? s.n : 1) * s.c)));
      cases.push_back(weighed(
          with_activation(op, a, s), norm_inputs(s, seed), {0, 1, 2}, {"dx", "dgamma", "dbeta"}, s,
          weight_seed, [=](const Tensors& i, Tensor& y) { forward(a, i, *saved, y); },
          [=](const Tensors& i, const Tensor& w) {
            Tensor y = f64(s);
            forward(a, i, *saved, y);
            Tensors g;
            g.push_back(f64(s));
            g.push_back(zeros(Shape::vector(s.c)));
            g.push_back(zeros(Shape::vector(s.c)));
            backward(a, i, y, w, *saved, g);
            return g;
          }));
    }
  return cases;
}

}  // namespace

std::vector<GradientCase> batchnorm_gradients() {
  return norm_gradients(
      "batchnorm", {{2, 3, 5, 4, 3}, {1, 5, 3, 7, 5}, {3, 2, 5, 3, 1}}, 40, 41, false,
      [](Activation a, const Tensors& i, Tensors& saved, Tensor& y) {
        // Updated by every pass, read by none here.
        Tensor running_mean = zeros(i[1].shape()), running_var = zeros(i[1].shape());
        batchnorm_forward_train(
            {i[0], i[1], i[2], running_mean, running_var, saved[0], saved[1], y, a});
      },
      [](Activation a, const Tensors& i, const Tensor& y, const Tensor& dy, Tensors& saved,
         Tensors& g) {
        batchnorm_backward({i[0], y, dy, i[1], saved[0], saved[1], g[0], g[1], g[2], a});
      });
}

std::vector<GradientCase> instancenorm_gradients() {
  return norm_gradients(
      "instancenorm", {{2, 3, 4, 3, 3}, {1, 2, 5, 3, 4}, {2, 3, 5, 2, 1}}, 250, 253, true,
      [](Activation a, const Tensors& i, Tensors& saved, Tensor& y) {
        instancenorm_forward({i[0], i[1], i[2], saved[0], saved[1], y, a});
      },
      [](Activation a, const Tensors& i, const Tensor& y, const Tensor& dy, Tensors& saved,
         Tensors& g) {
        instancenorm_backward({i[0], y, dy, i[1], saved[0], saved[1], g[0], g[1], g[2], a});
      });
}

std::vector<GradientCase> maxpool_gradients() {
  // Random values have no ties, and the probes' steps of 1e-6 cross no other maximum. Odd sizes
  // are floored where the window is 2.
  struct Pool {
    Shape in;
    Grid window;
    std::uint64_t seed;
    int probes;
  };
  const Pool pools[] = {
      {{2, 4, 6, 5, 3}, Grid::cube(2), 80, 96}, {{1, 5, 3, 7, 5}, Grid::cube(2), 80, 96},
      {{1, 4, 6, 7, 1}, Grid::cube(2), 80, 96}, {{2, 4, 5, 6, 3}, {1, 2, 2}, 230, 48},
      {{2, 4, 5, 6, 3}, {2, 2, 1}, 230, 48},    {{2, 4, 5, 6, 3}, {2, 1, 1}, 230, 48}};
  std::vector<GradientCase> cases;
  for (const Pool& p : pools) {
    const Shape in = p.in, out{in.n, in.d / p.window.d, in.h / p.window.h, in.w / p.window.w, in.c};
    const Grid window = p.window;
    Tensors x;
    x.push_back(random_tensor(in, DType::f64, p.seed, -2.0f, 2.0f));
    GradientCase c = weighed(
        "maxpool " + window.str() + " " + in.str(), std::move(x), {0}, {"dx"}, out, p.seed + 1,
        [=](const Tensors& i, Tensor& y) {
          maxpool_forward({i[0], y, window});
        },
        [=](const Tensors& i, const Tensor& w) {
          Tensors g;
          g.push_back(f64(in));
          maxpool_backward({i[0], w, g[0], window});
          return g;
        });
    c.probes = p.probes;
    cases.push_back(std::move(c));
  }
  return cases;
}

std::vector<GradientCase> concat_gradients() {
  std::vector<GradientCase> cases;
  for (const auto& [sa, cb] : {std::pair{Shape{2, 3, 5, 3, 3}, std::int64_t{5}},
                               std::pair{Shape{1, 5, 3, 7, 1}, std::int64_t{1}}}) {
    const Shape sb = sa.with_channels(cb), so = sa.with_channels(sa.c + cb);
    Tensors in;
    in.push_back(random_tensor(sa, DType::f64, 90));
    in.push_back(random_tensor(sb, DType::f64, 91));
    cases.push_back(weighed(
        "concat " + sa.str() + " + " + sb.str(), std::move(in), {0, 1}, {"da", "db"}, so, 92,
        [](const Tensors& i, Tensor& out) {
          concat_channels({i[0], i[1], out});
        },
        [=](const Tensors&, const Tensor& w) {
          Tensors g;
          g.push_back(f64(sa));
          g.push_back(f64(sb));
          split_channels({w, g[0], g[1]});
          return g;
        },
        -1.0f, 1.0f));
  }
  return cases;
}

namespace {

// Logits, labels and class weights of a loss's case, as the first checks drew them.
Tensors loss_inputs(const Shape& s) {
  Tensors in;
  in.push_back(random_tensor(s, DType::f64, 130, -2.0f, 2.0f));
  in.push_back(random_labels(s, static_cast<int>(s.c), 131));
  in.push_back(random_tensor(Shape::vector(s.c), DType::f64, 132, 0.2f, 3.0f));
  return in;
}

const Shape kLossShapes[] = {{2, 3, 4, 5, 5}, {1, 5, 3, 3, 3}, {3, 2, 5, 3, 2}};

LossGradient gradient_into(Tensor* grad) {
  return {grad};
}

}  // namespace

std::vector<GradientCase> dice_gradients() {
  std::vector<GradientCase> cases;
  for (const Shape& s : kLossShapes)
    for (const bool exclude : {false, true})
      for (const bool log_of : {false, true}) {
        const std::string name = std::string(log_of ? "log " : "") +
                                 (exclude ? "dice (no background) " : "dice ") + s.str();
        cases.push_back(
            scalar(name, loss_inputs(s), Shape::scalar(),
                   [=](const Tensors& i, Tensor& loss, Tensor* grad) {
                     const DiceLossArgs a{i[0], i[1], exclude, loss, gradient_into(grad)};
                     log_of ? log_dice_loss(a) : dice_loss(a);
                   }));
      }
  return cases;
}

std::vector<GradientCase> cross_entropy_gradients() {
  std::vector<GradientCase> cases;
  for (const Shape& s : kLossShapes)
    for (const bool weighted : {false, true})
      cases.push_back(scalar(
          (weighted ? "wce " : "ce ") + s.str(), loss_inputs(s), Shape::scalar(),
          [=](const Tensors& i, Tensor& loss, Tensor* grad) {
            cross_entropy({i[0], i[1], weighted ? &i[2] : nullptr, loss, gradient_into(grad)});
          }));
  return cases;
}

std::vector<GradientCase> combined_loss_gradients() {
  std::vector<GradientCase> cases;
  for (const Shape& s : kLossShapes)
    cases.push_back(
        scalar("combined " + s.str(), loss_inputs(s), Shape::vector(3),
               [](const Tensors& i, Tensor& loss, Tensor* grad) {
                 combined_loss({i[0], i[1], i[2], 0.5, 0.5, false, loss, gradient_into(grad)});
               }));
  return cases;
}

}  // namespace unet3d::op_cases
