// The UNet3D's parameters and buffers in PyTorch's state_dict order with PyTorch's default
// initialisation ranges, and the shapes of its convolutions: the network as its configuration
// describes it, before any buffer is planned.
#include <algorithm>
#include <cmath>

#include "layers/unet3d.h"

namespace unet3d {
namespace {

// PyTorch's default bound for weights and biases: 1 / sqrt(fan_in).
ParameterSpec uniform(std::string name, Shape shape, ParameterLayout layout, double fan_in) {
  const double bound = 1.0 / std::sqrt(fan_in);
  return {std::move(name), shape, layout, true, -bound, bound};
}

// BatchNorm3d: weight, bias and the running statistics; InstanceNorm3d(affine): weight and bias.
void add_norm(std::vector<ParameterSpec>& specs, const std::string& prefix, std::int64_t channels,
              NormKind norm) {
  const Shape v = Shape::vector(channels);
  specs.push_back({prefix + ".weight", v, ParameterLayout::vector, true, 1.0, 1.0});
  specs.push_back({prefix + ".bias", v, ParameterLayout::vector, true, 0.0, 0.0});
  if (norm == NormKind::instance) return;
  specs.push_back({prefix + ".running_mean", v, ParameterLayout::vector, false, 0.0, 0.0});
  specs.push_back({prefix + ".running_var", v, ParameterLayout::vector, false, 1.0, 1.0});
}

void add_block(std::vector<ParameterSpec>& specs, const std::string& prefix, std::int64_t cin,
               std::int64_t cout, Grid k, NormKind norm) {
  const auto taps = static_cast<double>(k.voxels());
  specs.push_back(uniform(prefix + ".conv1.weight", {cout, k.d, k.h, k.w, cin},
                          ParameterLayout::conv, static_cast<double>(cin) * taps));
  add_norm(specs, prefix + ".bn1", cout, norm);
  specs.push_back(uniform(prefix + ".conv2.weight", {cout, k.d, k.h, k.w, cout},
                          ParameterLayout::conv, static_cast<double>(cout) * taps));
  add_norm(specs, prefix + ".bn2", cout, norm);
}

// A 1x1x1 convolution with bias from `channels` to the classes: the head and the
// deep-supervision heads.
void add_head(std::vector<ParameterSpec>& specs, const std::string& name, std::int64_t channels,
              std::int64_t classes) {
  const auto fan_in = static_cast<double>(channels);
  specs.push_back(
      uniform(name + ".weight", {classes, 1, 1, 1, channels}, ParameterLayout::conv, fan_in));
  specs.push_back(uniform(name + ".bias", Shape::vector(classes), ParameterLayout::vector, fan_in));
}

}  // namespace

std::vector<ParameterSpec> unet3d_parameter_specs(const UNetConfig& c) {
  c.check();
  std::vector<ParameterSpec> specs;
  std::int64_t cin = c.in_channels;
  for (std::int64_t i = 1; i <= c.depth; ++i) {
    add_block(specs, "enc" + std::to_string(i), cin, c.features(i), c.kernel(i), c.norm);
    cin = c.features(i);
  }
  add_block(specs, "bottleneck", cin, c.features(c.depth + 1), c.kernel(c.depth + 1), c.norm);
  const std::vector<std::int64_t> supervised = c.supervised_levels();
  for (std::int64_t i = c.depth; i >= 1; --i) {
    const std::string up = "up" + std::to_string(i);
    const std::int64_t from = c.features(i + 1), to = c.features(i);
    const Grid p = c.pool(i);
    // ConvTranspose3d's fan_in is size(1) * kD * kH * kW of PyTorch's [in, out, kD, kH, kW].
    const auto fan_in = static_cast<double>(to * p.voxels());
    specs.push_back(uniform(up + ".weight", {from, p.d, p.h, p.w, to},
                            ParameterLayout::conv_transpose, fan_in));
    specs.push_back(uniform(up + ".bias", Shape::vector(to), ParameterLayout::vector, fan_in));
    // The decoder block reads [up output, encoder output]: twice the level's features.
    add_block(specs, "dec" + std::to_string(i), 2 * to, to, c.kernel(i), c.norm);
    // After its decoder, so that a level's gradients are final in decreasing offsets.
    if (std::find(supervised.begin(), supervised.end(), i) != supervised.end())
      add_head(specs, "ds" + std::to_string(i), to, c.num_classes);
  }
  add_head(specs, "head", c.features(1), c.num_classes);
  return specs;
}

std::vector<ConvLayerShape> unet3d_conv_shapes(const UNetConfig& c, std::int64_t batch, Grid grid) {
  std::vector<ConvLayerShape> shapes;
  for (const ParameterSpec& spec : unet3d_parameter_specs(c)) {
    if (spec.layout != ParameterLayout::conv) continue;
    // enc<i>, dec<i> and ds<i> run at level i's grid, the head at the input's, the bottleneck at
    // level depth + 1's.
    const std::string block = spec.name.substr(0, spec.name.find('.'));
    const std::int64_t level = block == "bottleneck"     ? c.depth + 1
                               : block == "head"         ? 1
                               : block.starts_with("ds") ? std::stoll(block.substr(2))
                                                         : std::stoll(block.substr(3));
    const Grid g = c.grid_at(grid, level);
    shapes.push_back({spec.name, {batch, g.d, g.h, g.w, spec.shape.c}, spec.shape});
  }
  return shapes;
}

}  // namespace unet3d
