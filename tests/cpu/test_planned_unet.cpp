// PyTorch agreement of the configurable network: tests/fixtures/planned_unet.py builds a PyTorch
// module from the metadata of tests/fixtures/planned_unet.safetensors alone (an anisotropic,
// instance-norm, LeakyReLU, deep-supervised network with a feature cap, trained briefly by this
// project's trainer), loads the file strictly and writes its logits for a fixed input; this
// project's network, loaded from the same file, must compute them to 1e-5.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "io/json.h"
#include "tests/support/tool_runs.h"
#include "tools/checkpoint.h"
#include "verify/parity.h"

using namespace unet3d;

namespace {

std::vector<double> numbers(const json::Value& array) {
  std::vector<double> out;
  for (const json::Value& v : array.items) out.push_back(std::stod(v.text));
  return out;
}

// The largest |a - b| / max(1, |b|).
double worst_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = a.size() == b.size() ? 0.0 : INFINITY;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(1.0, std::abs(b[i])));
  return worst;
}

}  // namespace

TEST_CASE("a network built from a checkpoint's metadata computes PyTorch's logits",
          "[unet3d][pytorch]") {
  const std::string checkpoint = std::string(FIXTURES_DIR) + "/planned_unet.safetensors";
  const ModelInfo info = read_model_info(checkpoint);
  const UNetConfig& c = info.config;
  // What the fixture must exercise.
  REQUIRE(info.mode == InputMode::patch);
  CHECK(c.kernel(1) == Grid{1, 3, 3});
  CHECK(c.pool(1) == Grid{1, 2, 2});
  CHECK(c.norm == NormKind::instance);
  CHECK(c.activation == Activation::leaky_relu);
  CHECK(c.deep_supervision);
  CHECK(c.features(c.depth + 1) < (c.init_features << c.depth));  // the cap binds

  UNet3D net(c, Device::cpu, Precision::f32, 1, info.patch);
  load_model(checkpoint, net);
  Tensor input = net.input();
  const Shape s = input.shape();
  for (std::int64_t z = 0; z < s.d; ++z)
    for (std::int64_t y = 0; y < s.h; ++y)
      for (std::int64_t x = 0; x < s.w; ++x)
        for (std::int64_t ch = 0; ch < s.c; ++ch)
          input.data_as<float>()[((z * s.h + y) * s.w + x) * s.c + ch] = static_cast<float>(
              std::sin(0.3 * static_cast<double>(x) + 0.7 * static_cast<double>(y) +
                       1.1 * static_cast<double>(z) + static_cast<double>(ch)));
  // Training mode, as the fixture ran it: instance norm normalises alike in both modes, and the
  // deep-supervision heads run in training only.
  net.forward(true);

  const json::Value root = json::parse(
      testing::read_text(std::string(FIXTURES_DIR) + "/planned_unet.json"), "planned_unet.json");
  const double head = worst_difference(to_doubles(net.output(0)), numbers(*root.find("logits")));
  INFO("head: largest relative difference " << head);
  CHECK(head < 1e-5);
  const std::vector<std::int64_t> levels = c.supervised_levels();
  REQUIRE(static_cast<std::int64_t>(levels.size()) == net.outputs() - 1);
  for (std::size_t k = 0; k < levels.size(); ++k) {
    const std::string name = "ds" + std::to_string(levels[k]);
    const double ds = worst_difference(to_doubles(net.output(static_cast<std::int64_t>(k) + 1)),
                                       numbers(*root.find("deep_supervision")->find(name)));
    INFO(name << ": largest relative difference " << ds);
    CHECK(ds < 1e-5);
  }
}
