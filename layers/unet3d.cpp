// UNet3D: the buffer plan, and the forward and backward passes (its parameter list:
// unet3d_parameters.cpp).
#include "layers/unet3d.h"

#include <algorithm>
#include <cmath>

#include "kernels/batchnorm.h"
#include "kernels/channels.h"
#include "kernels/elementwise.h"
#include "kernels/instancenorm.h"
#include "kernels/pool.h"
#include "layers/batchnorm_folding.h"
#include "layers/conv3d.h"
#include "layers/conv_transpose3d.h"

namespace unet3d {

namespace {

// A usage Error where the network cannot take `batch` volumes of `grid` on `device` in
// `precision`: a grid that the pooling does not divide, too few values per channel at the
// bottleneck for the norm's statistics, f16 off the GPU.
void check_network_input(const UNetConfig& config, Device device, Precision precision,
                         std::int64_t batch, Grid grid) {
  const Grid multiple = config.total_pool();
  const std::string size_text = grid.is_cube() ? std::to_string(grid.d) : grid.str();
  const auto fits = [&](std::int64_t side, std::int64_t factor) {
    return side > 0 && side % factor == 0;
  };
  UNET3D_USAGE_CHECK(batch >= 1 && fits(grid.d, multiple.d) && fits(grid.h, multiple.h) &&
                         fits(grid.w, multiple.w),
                     "UNet3D: input size ", size_text, " must be ",
                     grid.is_cube() && multiple.is_cube() ? "a" : "in each side a",
                     " positive multiple of ",
                     multiple.is_cube() ? concat("2^depth = ", multiple.d)
                                        : concat("the total pooling ", multiple.str(), " (DxHxW)"));
  const Grid bottom = config.grid_at(grid, config.depth + 1);
  if (config.norm == NormKind::batch) {
    const std::int64_t bottom_values = batch * bottom.voxels();
    UNET3D_USAGE_CHECK(bottom_values >= 2, "UNet3D: batch ", batch, " at size ", size_text,
                       " leaves fewer than 2 values per channel at the bottleneck (", bottom_values,
                       "), where BatchNorm's unbiased variance divides by zero");
  } else {
    UNET3D_USAGE_CHECK(bottom.voxels() >= 2, "UNet3D: size ", size_text, " leaves ",
                       bottom.voxels(),
                       " voxel(s) per sample at the bottleneck; instance norm needs at least 2");
  }
  UNET3D_USAGE_CHECK(precision != Precision::f16 || device == Device::cuda,
                     "UNet3D: f16 (mixed precision) needs the CUDA backend");
}

}  // namespace

// One conv-norm-activation-conv-norm-activation block: its parameters' indices and its buffers.
// Instance norm has no running statistics (mean and var stay -1) and saves its statistics per
// sample and channel.
struct UNet3D::Block {
  struct Norm {
    std::int64_t weight, bias, mean = -1, var = -1;
    Arena::Slot saved_mean, saved_inv_std;
  };
  std::int64_t conv1, conv2;
  Norm norm[2];
  Arena::Slot c[2], a[2];       // conv outputs and norm-activation outputs
  Arena::Slot grad_c, grad_a1;  // gradients inside the block
  FoldedConv folded[2];         // each convolution with its BatchNorm (fold_batchnorm)
};

// What lives between the blocks of one level: the pooled encoder output, the upsampled decoder
// input, their concatenation, and the gradients of each.
struct UNet3D::Level {
  std::int64_t up_weight, up_bias;
  Grid pool;
  Arena::Slot pooled, pooled_grad;      // MaxPool output (input of the next level)
  Arena::Slot encoder_grad, skip_grad;  // gradient of the encoder output: total, skip part
  Arena::Slot up, up_grad;              // ConvTranspose3d output
  Arena::Slot concat, concat_grad;      // [up, encoder output]: the decoder block's input
  Arena::Slot decoder_out_grad;         // gradient of the decoder block's output
};

// A deep-supervision head on a decoder level's output: its parameters, its logits and their
// gradient, and the gradient it passes back into the decoder's output.
struct UNet3D::Supervision {
  std::int64_t level, weight, bias;
  Arena::Slot logits, logits_grad, decoder_grad;
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
  check_network_input(config, device, precision, batch, grid);

  const DType act = activation_dtype(precision), stat = master_dtype(precision);
  const auto shape_at = [&](std::int64_t level, std::int64_t channels) {
    const Grid g = config.grid_at(grid, level);
    return Shape{batch, g.d, g.h, g.w, channels};
  };
  const auto index = [&](const std::string& name) { return params_.require(name); };
  // Saved statistics: per channel for BatchNorm, per sample and channel for instance norm.
  const std::int64_t stat_rows = config.norm == NormKind::instance ? batch : 1;
  const auto make_block = [&](const std::string& prefix, std::int64_t level, std::int64_t cout) {
    auto b = std::make_unique<Block>();
    b->conv1 = index(prefix + ".conv1.weight");
    b->conv2 = index(prefix + ".conv2.weight");
    for (int k = 0; k < 2; ++k) {
      const std::string norm = prefix + ".bn" + std::to_string(k + 1);
      Block::Norm& n = b->norm[k];
      n.weight = index(norm + ".weight");
      n.bias = index(norm + ".bias");
      if (config.norm == NormKind::batch) {
        n.mean = index(norm + ".running_mean");
        n.var = index(norm + ".running_var");
      }
      n.saved_mean = arena_.plan(Shape::vector(stat_rows * cout), stat);
      n.saved_inv_std = arena_.plan(Shape::vector(stat_rows * cout), stat);
    }
    const Shape out = shape_at(level, cout);
    for (Arena::Slot* s : {&b->c[0], &b->a[0], &b->c[1], &b->a[1], &b->grad_c, &b->grad_a1})
      *s = arena_.plan(out, act);
    return b;
  };

  const std::int64_t d = config.depth;
  for (std::int64_t i = 1; i <= d; ++i)
    blocks_.push_back(make_block("enc" + std::to_string(i), i, config.features(i)));
  blocks_.push_back(make_block("bottleneck", d + 1, config.features(d + 1)));
  for (std::int64_t i = 1; i <= d; ++i)
    blocks_.push_back(make_block("dec" + std::to_string(i), i, config.features(i)));

  levels_.resize(static_cast<std::size_t>(d));
  for (std::int64_t i = 1; i <= d; ++i) {
    Level& L = levels_[static_cast<std::size_t>(i - 1)];
    const std::int64_t f = config.features(i);
    L.up_weight = index("up" + std::to_string(i) + ".weight");
    L.up_bias = index("up" + std::to_string(i) + ".bias");
    L.pool = config.pool(i);
    L.pooled = arena_.plan(shape_at(i + 1, f), act);
    L.pooled_grad = arena_.plan(shape_at(i + 1, f), act);
    for (Arena::Slot* s : {&L.encoder_grad, &L.skip_grad, &L.up, &L.up_grad, &L.decoder_out_grad})
      *s = arena_.plan(shape_at(i, f), act);
    L.concat = arena_.plan(shape_at(i, 2 * f), act);
    L.concat_grad = arena_.plan(shape_at(i, 2 * f), act);
  }
  for (const std::int64_t level : config.supervised_levels()) {
    const std::string name = "ds" + std::to_string(level);
    supervision_.push_back({level, index(name + ".weight"), index(name + ".bias"),
                            arena_.plan(shape_at(level, config.num_classes), act),
                            arena_.plan(shape_at(level, config.num_classes), act),
                            arena_.plan(shape_at(level, config.features(level)), act)});
  }
  bottleneck_out_grad_ = arena_.plan(shape_at(d + 1, config.features(d + 1)), act);
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

std::int64_t UNet3D::outputs() const {
  return 1 + static_cast<std::int64_t>(supervision_.size());
}

Tensor UNet3D::output(std::int64_t k) {
  if (k == 0) return logits();
  return arena_.view(supervision_.at(static_cast<std::size_t>(k - 1)).logits);
}

Tensor UNet3D::output_grad(std::int64_t k) {
  if (k == 0) return logits_grad();
  return arena_.view(supervision_.at(static_cast<std::size_t>(k - 1)).logits_grad);
}

void UNet3D::normalise_backward(Block& b, int which, const Tensor& grad_out, Tensor& grad_in) {
  const Block::Norm& n = b.norm[which];
  const Tensor c = arena_.view(b.c[which]), a = arena_.view(b.a[which]);
  const Tensor gamma = params_.value(n.weight);
  const Tensor saved_mean = arena_.view(n.saved_mean), saved_inv_std = arena_.view(n.saved_inv_std);
  Tensor dgamma = params_.grad(n.weight), dbeta = params_.grad(n.bias);
  if (config_.norm == NormKind::instance)
    return instancenorm_backward({c, a, grad_out, gamma, saved_mean, saved_inv_std, grad_in, dgamma,
                                  dbeta, config_.activation});
  batchnorm_backward({c, a, grad_out, gamma, saved_mean, saved_inv_std, grad_in, dgamma, dbeta,
                      config_.activation, batchnorm_ranks_});
}

// conv, norm and activation, twice. The normalisation is called from here directly, so that a
// reader reaches its loop in few steps (docs/architecture.md traces them).
void UNet3D::forward_block(Block& b, const Tensor& x, bool train) {
  for (int k = 0; k < 2; ++k) {
    Tensor c = arena_.view(b.c[k]), a = arena_.view(b.a[k]), a0 = arena_.view(b.a[0]);
    if (!train && folded_) {
      const FoldedConv& f = b.folded[k];
      conv3d_forward(k == 0 ? x : a0, f.weight, &f.bias, a, config_.activation);
      continue;
    }
    conv3d_forward(k == 0 ? x : a0, params_.compute_copy(k == 0 ? b.conv1 : b.conv2), nullptr, c);
    const Block::Norm& n = b.norm[k];
    const Tensor gamma = params_.value(n.weight), beta = params_.value(n.bias);
    Tensor saved_mean = arena_.view(n.saved_mean), saved_inv_std = arena_.view(n.saved_inv_std);
    const Activation activation = config_.activation;
    if (config_.norm == NormKind::instance) {
      instancenorm_forward({c, gamma, beta, saved_mean, saved_inv_std, a, activation});
      continue;
    }
    Tensor running_mean = params_.value(n.mean), running_var = params_.value(n.var);
    if (train)
      batchnorm_forward_train({.x = c,
                               .gamma = gamma,
                               .beta = beta,
                               .running_mean = running_mean,
                               .running_var = running_var,
                               .saved_mean = saved_mean,
                               .saved_inv_std = saved_inv_std,
                               .y = a,
                               .activation = activation,
                               .ranks = batchnorm_ranks_});
    else
      batchnorm_forward_eval({c, gamma, beta, running_mean, running_var, a, activation});
  }
}

void UNet3D::backward_block(Block& b, const Tensor& x, const Tensor& dout, Tensor* dx) {
  Tensor grad_c = arena_.view(b.grad_c), grad_a1 = arena_.view(b.grad_a1);
  normalise_backward(b, 1, dout, grad_c);
  Tensor dw2 = params_.grad(b.conv2);
  conv3d_backward_weights(arena_.view(b.a[0]), grad_c, dw2, nullptr);
  conv3d_backward_data(grad_c, params_.compute_copy(b.conv2), grad_a1);
  normalise_backward(b, 0, grad_a1, grad_c);
  Tensor dw1 = params_.grad(b.conv1);
  conv3d_backward_weights(x, grad_c, dw1, nullptr);
  if (dx != nullptr) conv3d_backward_data(grad_c, params_.compute_copy(b.conv1), *dx);
}

bool UNet3D::fold_batchnorm() {
  if (config_.norm != NormKind::batch) return false;
  for (auto& block : blocks_)
    for (int k = 0; k < 2; ++k) {
      const Block::Norm& n = block->norm[k];
      block->folded[k] = unet3d::fold_batchnorm(params_.value(k == 0 ? block->conv1 : block->conv2),
                                                params_.value(n.weight), params_.value(n.bias),
                                                params_.value(n.mean), params_.value(n.var),
                                                activation_dtype(precision_));
    }
  folded_ = true;
  return true;
}

Tensor UNet3D::forward(bool train) {
  // Training changes the weights and the running statistics the folded copies were made of.
  if (train) folded_ = false;
  const std::int64_t d = config_.depth;
  Tensor x = input();
  for (std::int64_t i = 1; i <= d; ++i) {
    Block& enc = encoder(i);
    const Level& L = levels_[static_cast<std::size_t>(i - 1)];
    forward_block(enc, x, train);
    x = arena_.view(L.pooled);
    maxpool_forward({arena_.view(enc.a[1]), x, L.pool});
  }
  forward_block(bottleneck(), x, train);
  Tensor previous = arena_.view(bottleneck().a[1]);
  for (std::int64_t i = d; i >= 1; --i) {
    Level& L = levels_[static_cast<std::size_t>(i - 1)];
    Tensor up = arena_.view(L.up), concat = arena_.view(L.concat);
    conv_transpose3d_forward(previous, params_.compute_copy(L.up_weight),
                             params_.compute_copy(L.up_bias), up);
    concat_channels({up, arena_.view(encoder(i).a[1]), concat});
    forward_block(decoder(i), concat, train);
    previous = arena_.view(decoder(i).a[1]);
  }
  // The deep-supervision heads serve training's loss only: inference reads the head.
  if (train)
    for (Supervision& s : supervision_) {
      Tensor ds = arena_.view(s.logits);
      const Tensor bias = params_.compute_copy(s.bias);
      conv3d_forward(arena_.view(decoder(s.level).a[1]), params_.compute_copy(s.weight), &bias, ds);
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
  conv3d_backward_weights(arena_.view(decoder(1).a[1]), grad_logits, head_dw, &head_db);
  Tensor grad_out = arena_.view(levels_[0].decoder_out_grad);
  conv3d_backward_data(grad_logits, params_.compute_copy(head_weight_), grad_out);
  ready_from(head_weight_);

  for (std::int64_t i = 1; i <= d; ++i) {
    Level& L = levels_[static_cast<std::size_t>(i - 1)];
    Tensor decoder_out_grad = arena_.view(L.decoder_out_grad);
    // A deep-supervision head adds its share to the decoder output's gradient.
    for (Supervision& s : supervision_) {
      if (s.level != i) continue;
      const Tensor ds_grad = arena_.view(s.logits_grad);
      Tensor dw = params_.grad(s.weight), db = params_.grad(s.bias);
      Tensor into_decoder = arena_.view(s.decoder_grad);
      conv3d_backward_weights(arena_.view(decoder(i).a[1]), ds_grad, dw, &db);
      conv3d_backward_data(ds_grad, params_.compute_copy(s.weight), into_decoder);
      add({decoder_out_grad, into_decoder, decoder_out_grad});
      ready_from(s.weight);
    }
    Tensor concat_grad = arena_.view(L.concat_grad), up_grad = arena_.view(L.up_grad),
           skip_grad = arena_.view(L.skip_grad);
    backward_block(decoder(i), arena_.view(L.concat), decoder_out_grad, &concat_grad);
    ready_from(decoder(i).conv1);
    split_channels({concat_grad, up_grad, skip_grad});
    const Tensor previous = arena_.view(i < d ? decoder(i + 1).a[1] : bottleneck().a[1]);
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
    maxpool_backward(
        {arena_.view(encoder(i).a[1]), arena_.view(L.pooled_grad), encoder_grad, L.pool});
    add({encoder_grad, arena_.view(L.skip_grad), encoder_grad});
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
