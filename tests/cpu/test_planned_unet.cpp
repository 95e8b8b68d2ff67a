// The configurable network's checkpoints. PyTorch agreement: tests/fixtures/planned_unet.py builds
// a PyTorch module from the metadata of tests/fixtures/planned_unet.safetensors alone (an
// anisotropic, instance-norm, LeakyReLU, deep-supervised network with a feature cap, trained
// briefly by this project's trainer), loads the file strictly and writes its logits for a fixed
// input; this project's network, loaded from the same file, must compute them to 1e-5. Then the
// metadata: v2 for such a network, v1 for the original, a plain state_dict read off its shapes,
// malformed keys refused.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "io/json.h"
#include "io/safetensors.h"
#include "tests/support/error_of.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"
#include "tools/model/checkpoint.h"
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

TEST_CASE(
    "a configurable network's checkpoint keeps its plan, and a plain one is read off its shapes",
    "[unet3d][checkpoint]") {
  const std::string checkpoint = std::string(FIXTURES_DIR) + "/planned_unet.safetensors";
  const ModelInfo info = read_model_info(checkpoint);
  SafetensorsFile file = read_safetensors(checkpoint);
  CHECK(file.metadata.at("format") == "unet3d-v2");
  // The same tensors without metadata: everything but the activation from the shapes.
  file.metadata.clear();
  file.has_metadata = false;
  const std::string plain =
      testing::scratch_folder("plain_planned").string() + "/plain.safetensors";
  write_safetensors(plain, file);
  const UNetConfig shapes = read_model_info(plain).config, meta = info.config;
  CHECK(shapes.kernel_sizes == meta.kernel_sizes);
  CHECK(shapes.pool_sizes == meta.pool_sizes);
  CHECK(shapes.features(shapes.depth + 1) == meta.features(meta.depth + 1));
  CHECK(shapes.norm == NormKind::instance);
  CHECK(shapes.deep_supervision);
  CHECK(shapes.activation == Activation::relu);  // a state_dict does not hold it
  // The original network's files stay unet3d-v1 without §11's keys.
  UNet3D original({1, 3, 4, 2}, Device::cpu, Precision::f32, 1, 16);
  const std::string v1 = testing::scratch_folder("v1_file").string() + "/v1.safetensors";
  save_model(v1, original, {original.config(), 16, 0, 0, {}, true});
  const SafetensorsFile v1_file = read_safetensors(v1);
  CHECK(v1_file.metadata.at("format") == "unet3d-v1");
  for (const char* key : {"norm", "activation", "kernel_sizes", "pool_sizes", "deep_supervision"})
    CHECK(v1_file.metadata.count(key) == 0);
}

TEST_CASE("malformed §11 metadata is a data error naming the file and the key",
          "[unet3d][checkpoint]") {
  const std::string checkpoint = std::string(FIXTURES_DIR) + "/planned_unet.safetensors";
  const std::string folder = testing::scratch_folder("bad_planned").string();
  const struct {
    std::string key, value, message;
  } cases[] = {
      {"kernel_sizes", "3,3,1;3,3", "metadata 'kernel_sizes'"},
      {"pool_sizes", "2,2,1;2,2,2", "--pool-sizes: 2 pooling sizes for depth 3"},
      {"norm", "group", "metadata 'norm': 'group'"},
      {"activation", "gelu", "metadata 'activation': 'gelu'"},
      {"deep_supervision", "yes", "metadata 'deep_supervision': 'yes'"},
      {"normalization", "ct:1,0,0,1", "metadata 'normalization': 'ct:1,0,0,1' has lo above hi"},
      {"normalization", "zscore;zscore", "2 entries for in_channels 1"},
      {"max_features", "0", "metadata 'max_features': 0"},
      {"format", "unet3d-v1", "format unet3d-v1 with settings of the configurable"}};
  for (const auto& c : cases) {
    SafetensorsFile file = read_safetensors(checkpoint);
    file.metadata[c.key] = c.value;
    const std::string path = folder + "/" + c.key + "=" + c.value + ".safetensors";
    write_safetensors(path, file);
    INFO(c.key << " = " << c.value);
    const std::string message = testing::error_of([&] { read_model_info(path); }, ErrorKind::data);
    CHECK_THAT(message, Catch::Contains(path));
    CHECK_THAT(message, Catch::Contains(c.message));
  }
}

TEST_CASE("a plain state_dict whose shapes describe no valid network is a data error",
          "[unet3d][checkpoint]") {
  SafetensorsFile file = read_safetensors(std::string(FIXTURES_DIR) + "/planned_unet.safetensors");
  file.metadata.clear();
  file.has_metadata = false;
  // The first kernel's taps laid along x alone: the same bytes, a kernel side of 9 or 27.
  for (StoredTensor& t : file.tensors)
    if (t.name == "enc1.conv1.weight")
      t.shape = {t.shape[0], t.shape[1], 1, 1, t.shape[2] * t.shape[3] * t.shape[4]};
  const std::string path = testing::scratch_folder("bad_shapes").string() + "/plain.safetensors";
  write_safetensors(path, file);
  const std::string message = testing::error_of([&] { read_model_info(path); }, ErrorKind::data);
  CHECK_THAT(message, Catch::Contains(path));
  CHECK_THAT(message, Catch::Contains("describes no valid network"));
  CHECK_THAT(message, Catch::Contains("each side 1 or 3"));
}
