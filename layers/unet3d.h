// The UNet3D of docs/model.md, composed by hand from the layers: forward in order, backward in
// reverse, with the skip connections' gradients added where the concat split them. Every
// activation, gradient and saved statistic is planned once for (batch, grid) in one Arena, so
// a training step allocates nothing. The configuration (layers/unet_config.h) sets each level's
// kernel and pooling, the feature cap, BatchNorm or instance norm, ReLU or LeakyReLU, and the
// deep-supervision heads; the grid need not be a cube: each side is a multiple of its axis's
// total pooling.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/rank_sums.h"
#include "layers/parameters.h"
#include "layers/precision.h"
#include "layers/unet_config.h"
#include "runtime/arena.h"

namespace unet3d {

// The parameters and buffers of the network, in PyTorch's state_dict order, with PyTorch's
// default initialisation ranges.
std::vector<ParameterSpec> unet3d_parameter_specs(const UNetConfig& config);

// A Conv3d layer of the network at (batch, grid): its input's and weights' shapes, named as
// its weights are.
struct ConvLayerShape {
  std::string name;
  Shape x, w;
};
// Every Conv3d layer (blocks, deep-supervision heads and head): what cuDNN must plan.
std::vector<ConvLayerShape> unet3d_conv_shapes(const UNetConfig& config, std::int64_t batch,
                                               Grid grid);
inline std::vector<ConvLayerShape> unet3d_conv_shapes(const UNetConfig& config, std::int64_t batch,
                                                      std::int64_t size) {
  return unet3d_conv_shapes(config, batch, Grid::cube(size));
}

class UNet3D {
 public:
  // Checks the contract's usage rules (each side divisible by its axis's total pooling, at
  // least 2 values per channel at the bottleneck for each norm, f16 only on CUDA) and plans
  // every buffer.
  UNet3D(const UNetConfig& config, Device device, Precision precision, std::int64_t batch,
         Grid grid);
  // A cube of side `size`.
  UNet3D(const UNetConfig& config, Device device, Precision precision, std::int64_t batch,
         std::int64_t size)
      : UNet3D(config, device, precision, batch, Grid::cube(size)) {}
  ~UNet3D();
  UNet3D(const UNet3D&) = delete;
  UNet3D& operator=(const UNet3D&) = delete;

  const UNetConfig& config() const { return config_; }
  Precision precision() const { return precision_; }
  Device device() const { return params_.device(); }
  std::int64_t batch() const { return batch_; }
  Grid grid() const { return grid_; }
  // The side of a cubic grid (a usage error for any other).
  std::int64_t size() const;
  ParameterStore& parameters() { return params_; }

  // [batch, D, H, W, in_channels] in the activation dtype: fill it, then forward().
  Tensor input();
  // Runs the network on input(); train: batch statistics (and running statistics updated),
  // else running statistics, and the deep-supervision heads too. Returns the logits [batch, D,
  // H, W, num_classes].
  Tensor forward(bool train);
  // The logits of the last forward().
  Tensor logits();
  // Where the loss writes dL/dlogits before backward().
  Tensor logits_grad();
  // The outputs a training forward makes: 0 the head's logits, k >= 1 the deep-supervision
  // head of level config().supervised_levels()[k - 1], at that level's grid; each with the
  // buffer its loss gradient goes to before backward(). Without deep supervision: the head only.
  std::int64_t outputs() const;
  Tensor output(std::int64_t k);
  Tensor output_grad(std::int64_t k);
  // Adds every parameter's gradient (from every output's gradient, after a training forward)
  // into the parameter store's gradients. `gradients_ready` (optional) is told, as backward goes,
  // the offset into grads() from which every gradient is final: the head's, then each decoder
  // block's and up-convolution's, the bottleneck's and the encoders', in decreasing offsets
  // (state_dict order is the reverse of backward's), so that their sum over data-parallel ranks
  // can begin while the rest is computed.
  void backward(const std::function<void(std::int64_t)>& gradients_ready = {});
  // From now on evaluation (forward(false)) runs each block's convolution with its BatchNorm
  // folded in and the activation as its epilogue (layers/batchnorm_folding.h): the same logits
  // to rounding, one pass less per convolution. For a loaded model that only evaluates (predict,
  // the test phase): call it again after the weights or running statistics change, since the
  // folded copies do not follow them; a training forward drops them. Instance norm, which
  // normalises each sample by its own statistics, has nothing to fold: false.
  bool fold_batchnorm();
  bool batchnorm_folded() const { return folded_; }
  // Training forwards so far: BatchNorm's num_batches_tracked.
  std::int64_t batches_tracked() const { return batches_tracked_; }
  void set_batches_tracked(std::int64_t n) { batches_tracked_ = n; }
  std::size_t planned_bytes() const { return arena_.planned_bytes(); }
  // Synchronised BatchNorm across data-parallel ranks (kernels/batchnorm.h); null: each batch
  // its own statistics. `ranks` must outlive its use. Instance norm has nothing to synchronise.
  void set_batchnorm_ranks(RankSums* ranks) { batchnorm_ranks_ = ranks; }

 private:
  struct Block;
  struct Level;
  struct Supervision;
  void forward_block(Block& b, const Tensor& x, bool train);
  void backward_block(Block& b, const Tensor& x, const Tensor& dout, Tensor* dx);
  // The backward of one norm-and-activation (forward_block runs the forward).
  void normalise_backward(Block& b, int which, const Tensor& grad_out, Tensor& grad_in);
  Block& encoder(std::int64_t level) { return *blocks_[level - 1]; }
  Block& bottleneck() { return *blocks_[config_.depth]; }
  Block& decoder(std::int64_t level) { return *blocks_[config_.depth + level]; }

  UNetConfig config_;
  Precision precision_;
  std::int64_t batch_;
  Grid grid_;
  ParameterStore params_;
  Arena arena_;
  std::vector<std::unique_ptr<Block>> blocks_;  // encoders 1..d, bottleneck, decoders d..1
  std::vector<Level> levels_;                   // per level 1..d: pool, upsampling, concat
  std::vector<Supervision> supervision_;        // the deep-supervision heads, by level
  bool folded_ = false;  // each block's convolutions hold their BatchNorms (Block::folded)
  Arena::Slot input_, logits_, logits_grad_, bottleneck_out_grad_;
  std::int64_t head_weight_ = 0, head_bias_ = 0;
  std::int64_t batches_tracked_ = 0;
  RankSums* batchnorm_ranks_ = nullptr;
};

}  // namespace unet3d
