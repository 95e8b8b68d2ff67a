// UNet3D: the parameter list, the buffer plan, and the forward and backward passes.
#include "layers/unet3d.h"

#include <cmath>

#include "kernels/batchnorm.h"
#include "kernels/channels.h"
#include "kernels/elementwise.h"
#include "kernels/pool.h"
#include "layers/conv3d.h"
#include "layers/conv_transpose3d.h"

namespace unet3d {

DType activation_dtype(Precision p) {
  return p == Precision::f16 ? DType::f16 : p == Precision::f64 ? DType::f64 : DType::f32;
}

DType master_dtype(Precision p) {
  return p == Precision::f64 ? DType::f64 : DType::f32;
}

namespace {

// Features at level i (1-based; level depth + 1 is the bottleneck).
std::int64_t features(const UNetConfig& c, std::int64_t level) {
  return c.init_features << (level - 1);
}

// PyTorch's default bound for weights and biases: 1 / sqrt(fan_in).
ParameterSpec uniform(std::string name, Shape shape, ParameterLayout layout, double fan_in) {
  const double bound = 1.0 / std::sqrt(fan_in);
  return {std::move(name), shape, layout, true, -bound, bound};
}

void add_batchnorm(std::vector<ParameterSpec>& specs, const std::string& prefix,
                   std::int64_t channels) {
  const Shape v = Shape::vector(channels);
  specs.push_back({prefix + ".weight", v, ParameterLayout::vector, true, 1.0, 1.0});
  specs.push_back({prefix + ".bias", v, ParameterLayout::vector, true, 0.0, 0.0});
  specs.push_back({prefix + ".running_mean", v, ParameterLayout::vector, false, 0.0, 0.0});
  specs.push_back({prefix + ".running_var", v, ParameterLayout::vector, false, 1.0, 1.0});
}

void add_block(std::vector<ParameterSpec>& specs, const std::string& prefix, std::int64_t cin,
               std::int64_t cout) {
  specs.push_back(uniform(prefix + ".conv1.weight", {cout, 3, 3, 3, cin}, ParameterLayout::conv,
                          static_cast<double>(cin * 27)));
  add_batchnorm(specs, prefix + ".bn1", cout);
  specs.push_back(uniform(prefix + ".conv2.weight", {cout, 3, 3, 3, cout}, ParameterLayout::conv,
                          static_cast<double>(cout * 27)));
  add_batchnorm(specs, prefix + ".bn2", cout);
}

}  // namespace

std::vector<ParameterSpec> unet3d_parameter_specs(const UNetConfig& c) {
  std::vector<ParameterSpec> specs;
  std::int64_t cin = c.in_channels;
  for (std::int64_t i = 1; i <= c.depth; ++i) {
    add_block(specs, "enc" + std::to_string(i), cin, features(c, i));
    cin = features(c, i);
  }
  add_block(specs, "bottleneck", cin, features(c, c.depth + 1));
  for (std::int64_t i = c.depth; i >= 1; --i) {
    const std::string up = "up" + std::to_string(i);
    const std::int64_t from = features(c, i + 1), to = features(c, i);
    // ConvTranspose3d's fan_in is size(1) * 8 of PyTorch's [in, out, 2, 2, 2]: out * 8.
    const auto fan_in = static_cast<double>(to * 8);
    specs.push_back(
        uniform(up + ".weight", {from, 2, 2, 2, to}, ParameterLayout::conv_transpose, fan_in));
    specs.push_back(uniform(up + ".bias", Shape::vector(to), ParameterLayout::vector, fan_in));
    add_block(specs, "dec" + std::to_string(i), from, to);
  }
  const auto head_fan_in = static_cast<double>(c.init_features);
  specs.push_back(uniform("head.weight", {c.num_classes, 1, 1, 1, c.init_features},
                          ParameterLayout::conv, head_fan_in));
  specs.push_back(
      uniform("head.bias", Shape::vector(c.num_classes), ParameterLayout::vector, head_fan_in));
  return specs;
}

std::vector<ConvLayerShape> unet3d_conv_shapes(const UNetConfig& c, std::int64_t batch, Grid grid) {
  std::vector<ConvLayerShape> shapes;
  for (const ParameterSpec& spec : unet3d_parameter_specs(c)) {
    if (spec.layout != ParameterLayout::conv) continue;
    // enc<i>, dec<i> and the head (level 1) run at grid / 2^(i-1); the bottleneck at depth + 1.
    const std::string block = spec.name.substr(0, spec.name.find('.'));
    const std::int64_t level = block == "bottleneck" ? c.depth + 1
                               : block == "head"     ? 1
                                                     : std::stoll(block.substr(3));
    const Grid g = grid.at_level(level);
    shapes.push_back({spec.name, {batch, g.d, g.h, g.w, spec.shape.c}, spec.shape});
  }
  return shapes;
}

// One conv-bn-relu-conv-bn-relu block: its parameters' indices and its buffers.
struct UNet3D::Block {
  std::int64_t conv1, bn1_weight, bn1_bias, bn1_mean, bn1_var;
  std::int64_t conv2, bn2_weight, bn2_bias, bn2_mean, bn2_var;
  Arena::Slot c1, a1, c2, a2;                    // conv outputs and bn-relu outputs
  Arena::Slot mean1, inv_std1, mean2, inv_std2;  // saved batch statistics
  Arena::Slot grad_c, grad_a1;                   // gradients inside the block
};

// What lives between the blocks of one level: the pooled encoder output, the upsampled decoder
// input, their concatenation, and the gradients of each.
struct UNet3D::Level {
  std::int64_t up_weight, up_bias;
  Arena::Slot pooled, pooled_grad;      // MaxPool output (input of the next level)
  Arena::Slot encoder_grad, skip_grad;  // gradient of the encoder output: total, skip part
  Arena::Slot up, up_grad;              // ConvTranspose3d output
  Arena::Slot concat, concat_grad;      // [up, encoder output]: the decoder block's input
  Arena::Slot decoder_out_grad;         // gradient of the decoder block's output
};

UNet3D::UNet3D(const UNetConfig& config, Device device, Precision precision, std::int64_t batch,
               Grid grid)
    : config_(config),
      precision_(precision),
      batch_(batch),
      grid_(grid),
      params_(unet3d_parameter_specs(config), device, master_dtype(precision),
              precision == Precision::f16),
      arena_(device) {
  const std::int64_t factor = std::int64_t{1} << config.depth;
  UNET3D_USAGE_CHECK(config.in_channels >= 1 && config.num_classes >= 2 &&
                         config.init_features >= 1 && config.depth >= 1,
                     "UNet3D: in_channels ", config.in_channels, ", num_classes ",
                     config.num_classes, ", init_features ", config.init_features, ", depth ",
                     config.depth, " (need >= 1, >= 2, >= 1, >= 1)");
  const std::string size_text = grid.is_cube() ? std::to_string(grid.d) : grid.str();
  const auto fits = [&](std::int64_t side) { return side > 0 && side % factor == 0; };
  UNET3D_USAGE_CHECK(batch >= 1 && fits(grid.d) && fits(grid.h) && fits(grid.w),
                     "UNet3D: input size ", size_text, " must be ",
                     grid.is_cube() ? "a" : "in each side a",
                     " positive multiple of 2^depth = ", factor);
  const Grid bottom = grid.at_level(config.depth + 1);
  const std::int64_t bottom_values = batch * bottom.d * bottom.h * bottom.w;
  UNET3D_USAGE_CHECK(bottom_values >= 2, "UNet3D: batch ", batch, " at size ", size_text,
                     " leaves fewer than 2 values per channel at the bottleneck (", bottom_values,
                     "), where BatchNorm's unbiased variance divides by zero");
  UNET3D_USAGE_CHECK(precision != Precision::f16 || device == Device::cuda,
                     "UNet3D: f16 (mixed precision) needs the CUDA backend");

  const DType act = activation_dtype(precision), stat = master_dtype(precision);
  const auto shape_at = [&](std::int64_t level, std::int64_t channels) {
    const Grid g = grid.at_level(level);
    return Shape{batch, g.d, g.h, g.w, channels};
  };
  const auto index = [&](const std::string& name) {
    const std::int64_t i = params_.find(name);
    UNET3D_CHECK(i >= 0, "no parameter named ", name);
    return i;
  };
  const auto make_block = [&](const std::string& prefix, std::int64_t level, std::int64_t cout) {
    auto b = std::make_unique<Block>();
    b->conv1 = index(prefix + ".conv1.weight");
    b->bn1_weight = index(prefix + ".bn1.weight");
    b->bn1_bias = index(prefix + ".bn1.bias");
    b->bn1_mean = index(prefix + ".bn1.running_mean");
    b->bn1_var = index(prefix + ".bn1.running_var");
    b->conv2 = index(prefix + ".conv2.weight");
    b->bn2_weight = index(prefix + ".bn2.weight");
    b->bn2_bias = index(prefix + ".bn2.bias");
    b->bn2_mean = index(prefix + ".bn2.running_mean");
    b->bn2_var = index(prefix + ".bn2.running_var");
    const Shape out = shape_at(level, cout);
    for (Arena::Slot* s : {&b->c1, &b->a1, &b->c2, &b->a2, &b->grad_c, &b->grad_a1})
      *s = arena_.plan(out, act);
    for (Arena::Slot* s : {&b->mean1, &b->inv_std1, &b->mean2, &b->inv_std2})
      *s = arena_.plan(Shape::vector(cout), stat);
    return b;
  };

  const std::int64_t d = config.depth;
  for (std::int64_t i = 1; i <= d; ++i)
    blocks_.push_back(make_block("enc" + std::to_string(i), i, features(config, i)));
  blocks_.push_back(make_block("bottleneck", d + 1, features(config, d + 1)));
  for (std::int64_t i = 1; i <= d; ++i)
    blocks_.push_back(make_block("dec" + std::to_string(i), i, features(config, i)));

  levels_.resize(static_cast<std::size_t>(d));
  for (std::int64_t i = 1; i <= d; ++i) {
    Level& L = levels_[static_cast<std::size_t>(i - 1)];
    const std::int64_t f = features(config, i);
    L.up_weight = index("up" + std::to_string(i) + ".weight");
    L.up_bias = index("up" + std::to_string(i) + ".bias");
    L.pooled = arena_.plan(shape_at(i + 1, f), act);
    L.pooled_grad = arena_.plan(shape_at(i + 1, f), act);
    for (Arena::Slot* s : {&L.encoder_grad, &L.skip_grad, &L.up, &L.up_grad, &L.decoder_out_grad})
      *s = arena_.plan(shape_at(i, f), act);
    L.concat = arena_.plan(shape_at(i, 2 * f), act);
    L.concat_grad = arena_.plan(shape_at(i, 2 * f), act);
  }
  bottleneck_out_grad_ = arena_.plan(shape_at(d + 1, features(config, d + 1)), act);
  input_ = arena_.plan(shape_at(1, config.in_channels), act);
  logits_ = arena_.plan(shape_at(1, config.num_classes), act);
  logits_grad_ = arena_.plan(shape_at(1, config.num_classes), act);
  head_weight_ = index("head.weight");
  head_bias_ = index("head.bias");
  arena_.commit();
}

UNet3D::~UNet3D() = default;

std::int64_t UNet3D::size() const {
  UNET3D_USAGE_CHECK(grid_.is_cube(), "UNet3D: the grid ", grid_.str(), " is not a cube");
  return grid_.d;
}

Tensor UNet3D::input() {
  return arena_.view(input_);
}
Tensor UNet3D::logits() {
  return arena_.view(logits_);
}
Tensor UNet3D::logits_grad() {
  return arena_.view(logits_grad_);
}

void UNet3D::forward_block(Block& b, const Tensor& x, bool train) {
  BatchNormOptions relu;
  relu.activation = Activation::relu, relu.ranks = batchnorm_ranks_;
  const auto bn = [&](std::int64_t weight, std::int64_t bias, std::int64_t mean, std::int64_t var,
                      Arena::Slot in, Arena::Slot saved_mean, Arena::Slot saved_inv_std,
                      Arena::Slot out) {
    Tensor c = arena_.view(in), a = arena_.view(out);
    Tensor gamma = params_.value(weight), beta = params_.value(bias);
    Tensor running_mean = params_.value(mean), running_var = params_.value(var);
    if (train) {
      Tensor m = arena_.view(saved_mean), s = arena_.view(saved_inv_std);
      batchnorm_forward_train(c, gamma, beta, running_mean, running_var, m, s, a, relu);
    } else {
      batchnorm_forward_eval(c, gamma, beta, running_mean, running_var, a, relu);
    }
  };
  Tensor c1 = arena_.view(b.c1), c2 = arena_.view(b.c2);
  conv3d_forward(x, params_.compute_copy(b.conv1), nullptr, c1);
  bn(b.bn1_weight, b.bn1_bias, b.bn1_mean, b.bn1_var, b.c1, b.mean1, b.inv_std1, b.a1);
  conv3d_forward(arena_.view(b.a1), params_.compute_copy(b.conv2), nullptr, c2);
  bn(b.bn2_weight, b.bn2_bias, b.bn2_mean, b.bn2_var, b.c2, b.mean2, b.inv_std2, b.a2);
}

void UNet3D::backward_block(Block& b, const Tensor& x, const Tensor& dout, Tensor* dx) {
  BatchNormOptions relu;
  relu.activation = Activation::relu, relu.ranks = batchnorm_ranks_;
  Tensor grad_c = arena_.view(b.grad_c), grad_a1 = arena_.view(b.grad_a1);
  const auto bn_backward = [&](Arena::Slot c, Arena::Slot a, const Tensor& grad_out,
                               std::int64_t weight, std::int64_t bias, Arena::Slot mean,
                               Arena::Slot inv_std) {
    Tensor dgamma = params_.grad(weight), dbeta = params_.grad(bias);
    batchnorm_backward(arena_.view(c), arena_.view(a), grad_out, params_.value(weight),
                       arena_.view(mean), arena_.view(inv_std), grad_c, dgamma, dbeta, relu);
  };
  bn_backward(b.c2, b.a2, dout, b.bn2_weight, b.bn2_bias, b.mean2, b.inv_std2);
  Tensor dw2 = params_.grad(b.conv2);
  conv3d_backward_weights(arena_.view(b.a1), grad_c, dw2, nullptr);
  conv3d_backward_data(grad_c, params_.compute_copy(b.conv2), grad_a1);
  bn_backward(b.c1, b.a1, grad_a1, b.bn1_weight, b.bn1_bias, b.mean1, b.inv_std1);
  Tensor dw1 = params_.grad(b.conv1);
  conv3d_backward_weights(x, grad_c, dw1, nullptr);
  if (dx != nullptr) conv3d_backward_data(grad_c, params_.compute_copy(b.conv1), *dx);
}

Tensor UNet3D::forward(bool train) {
  const std::int64_t d = config_.depth;
  Tensor x = input();
  for (std::int64_t i = 1; i <= d; ++i) {
    Block& enc = encoder(i);
    forward_block(enc, x, train);
    x = arena_.view(levels_[static_cast<std::size_t>(i - 1)].pooled);
    maxpool_forward(arena_.view(enc.a2), x);
  }
  forward_block(bottleneck(), x, train);
  Tensor previous = arena_.view(bottleneck().a2);
  for (std::int64_t i = d; i >= 1; --i) {
    Level& L = levels_[static_cast<std::size_t>(i - 1)];
    Tensor up = arena_.view(L.up), concat = arena_.view(L.concat);
    conv_transpose3d_forward(previous, params_.compute_copy(L.up_weight),
                             params_.compute_copy(L.up_bias), up);
    concat_channels(up, arena_.view(encoder(i).a2), concat);
    forward_block(decoder(i), concat, train);
    previous = arena_.view(decoder(i).a2);
  }
  Tensor logits = arena_.view(logits_);
  const Tensor head_bias = params_.compute_copy(head_bias_);
  conv3d_forward(previous, params_.compute_copy(head_weight_), &head_bias, logits);
  if (train) ++batches_tracked_;
  return logits;
}

void UNet3D::backward(const std::function<void(std::int64_t)>& gradients_ready) {
  const std::int64_t d = config_.depth;
  const auto ready_from = [&](std::int64_t parameter) {
    if (gradients_ready) gradients_ready(params_.offset(static_cast<std::size_t>(parameter)));
  };
  const Tensor grad_logits = logits_grad();
  Tensor head_dw = params_.grad(head_weight_), head_db = params_.grad(head_bias_);
  conv3d_backward_weights(arena_.view(decoder(1).a2), grad_logits, head_dw, &head_db);
  Tensor grad_out = arena_.view(levels_[0].decoder_out_grad);
  conv3d_backward_data(grad_logits, params_.compute_copy(head_weight_), grad_out);
  ready_from(head_weight_);

  for (std::int64_t i = 1; i <= d; ++i) {
    Level& L = levels_[static_cast<std::size_t>(i - 1)];
    Tensor concat_grad = arena_.view(L.concat_grad), up_grad = arena_.view(L.up_grad),
           skip_grad = arena_.view(L.skip_grad);
    backward_block(decoder(i), arena_.view(L.concat), arena_.view(L.decoder_out_grad),
                   &concat_grad);
    ready_from(decoder(i).conv1);
    split_channels(concat_grad, up_grad, skip_grad);
    const Tensor previous = arena_.view(i < d ? decoder(i + 1).a2 : bottleneck().a2);
    Tensor dw = params_.grad(L.up_weight), db = params_.grad(L.up_bias);
    conv_transpose3d_backward_weights(previous, up_grad, dw, db);
    ready_from(L.up_weight);
    Tensor previous_grad = arena_.view(i < d ? levels_[static_cast<std::size_t>(i)].decoder_out_grad
                                             : bottleneck_out_grad_);
    conv_transpose3d_backward_data(up_grad, params_.compute_copy(L.up_weight), previous_grad);
  }

  Level& deepest = levels_[static_cast<std::size_t>(d - 1)];
  Tensor pooled_grad = arena_.view(deepest.pooled_grad);
  backward_block(bottleneck(), arena_.view(deepest.pooled), arena_.view(bottleneck_out_grad_),
                 &pooled_grad);
  ready_from(bottleneck().conv1);
  for (std::int64_t i = d; i >= 1; --i) {
    Level& L = levels_[static_cast<std::size_t>(i - 1)];
    Tensor encoder_grad = arena_.view(L.encoder_grad);
    maxpool_backward(arena_.view(encoder(i).a2), arena_.view(L.pooled_grad), encoder_grad);
    add(encoder_grad, arena_.view(L.skip_grad), encoder_grad);
    if (i == 1) {
      backward_block(encoder(1), input(), encoder_grad, nullptr);  // no gradient for the image
    } else {
      Level& below = levels_[static_cast<std::size_t>(i - 2)];
      Tensor input_grad = arena_.view(below.pooled_grad);
      backward_block(encoder(i), arena_.view(below.pooled), encoder_grad, &input_grad);
    }
    ready_from(encoder(i).conv1);
  }
}

}  // namespace unet3d
