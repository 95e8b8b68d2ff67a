// export: each architecture option's ONNX graph passes ONNX's checker (Debian's python3-onnx),
// carries the checkpoint's metadata, and runs in onnxruntime (the test environment tools/test.sh
// makes) to our logits within 1e-4, at the checkpoint's grid and, the spatial axes being
// symbolic, at another. Built only where export is (tests/CMakeLists.txt).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "io/json.h"
#include "io/nifti.h"
#include "io/safetensors.h"
#include "runtime/rng.h"
#include "tests/support/programs.h"
#include "tests/support/runner.h"
#include "tests/support/test_data.h"
#include "tools/model/checkpoint.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

const std::string kExport = EXPORT_PATH;
const std::string kScripts = std::string(SOURCE_DIR) + "/tests/onnx/";

// The interpreter an environment variable names (tools/test.sh sets both); where it is unset the
// test is skipped, except under CI, where that is a failure.
std::string interpreter(const char* variable) {
  const char* value = std::getenv(variable);
  if (value && *value) return value;
  const std::string why = concat(variable, " is not set: run the tests through tools/test.sh");
  if (running_under_ci()) FAIL(why);
  skip_test(why);
}

struct Architecture {
  std::string name;
  UNetConfig config;
  InputMode mode;
  Grid grid;
  std::string normalization;  // "" : z-score
};

std::vector<Architecture> architectures() {
  UNetConfig configurable(2, 3, 4, 3);
  configurable.kernel_sizes = {{1, 3, 3}, {3, 3, 3}, {3, 1, 3}, {3, 3, 3}};
  configurable.pool_sizes = {{1, 2, 2}, {2, 2, 2}, {2, 2, 1}};
  configurable.max_features = 8;
  configurable.norm = NormKind::instance;
  configurable.activation = Activation::leaky_relu;
  configurable.deep_supervision = true;
  UNetConfig batch_leaky(1, 4, 4, 3);
  batch_leaky.activation = Activation::leaky_relu;
  batch_leaky.pool_sizes = {{2, 2, 2}, {1, 2, 2}, {2, 2, 2}};
  return {{"original", UNetConfig(1, 6, 4, 2), InputMode::resize, Grid::cube(16), ""},
          {"instance norm, leaky ReLU, anisotropic, capped, deep supervision, 2 channels",
           configurable,
           InputMode::patch,
           {8, 16, 8},
           "zscore;ct:-100,300,40,80"},
          {"BatchNorm, leaky ReLU, anisotropic pooling",
           batch_leaky,
           InputMode::patch,
           {8, 16, 16},
           ""}};
}

// A model file of `a` whose BatchNorm running statistics are not the initial 0 and 1 (two
// training forwards on random data), so that the graph's use of them is tested.
void write_checkpoint(const Architecture& a, const fs::path& path) {
  UNet3D net(a.config, Device::cpu, Precision::f32, 2, a.grid);
  net.parameters().initialize(7);
  Rng rng(11);
  for (int pass = 0; pass < 2; ++pass) {
    Tensor x = net.input();
    for (std::int64_t i = 0; i < x.numel(); ++i)
      x.data_as<float>()[i] = static_cast<float>(rng.normal() * 2.0 + 0.5);
    net.forward(true);
  }
  ModelInfo info;
  info.mode = a.mode;
  info.spacing = {2.5, 0.8, 1.25};
  info.epoch = 3, info.step = 12;
  for (std::int64_t k = 0; k < a.config.num_classes; ++k)
    info.class_names.push_back(concat("class ", k));
  if (!a.normalization.empty())
    info.normalization =
        parse_normalization(a.normalization, a.config.in_channels, "the test's normalization");
  save_model(path.string(), net, info);
}

void write_floats(const fs::path& path, const std::vector<float>& values) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(float)));
}

std::vector<float> read_floats(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<float> values(static_cast<std::size_t>(in.tellg()) / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(values.data()),
          static_cast<std::streamsize>(values.size() * sizeof(float)));
  return values;
}

// A random image of `batch` samples at `grid`, in ONNX's layout (N, C, D, H, W).
std::vector<float> random_image(std::int64_t batch, std::int64_t channels, Grid grid) {
  std::vector<float> image(static_cast<std::size_t>(batch * channels * grid.voxels()));
  Rng rng(5);
  for (float& v : image) v = static_cast<float>(rng.normal());
  return image;
}

// Our network's logits for `image` (N, C, D, H, W), loaded from the model file, in evaluation
// mode, returned in the same layout.
std::vector<float> our_logits(const fs::path& checkpoint, const std::vector<float>& image,
                              std::int64_t batch, Grid grid) {
  const ModelInfo info = read_model_info(checkpoint.string());
  UNet3D net(info.config, Device::cpu, Precision::f32, batch, grid);
  load_model(checkpoint.string(), net);
  const std::int64_t channels = info.config.in_channels, classes = info.config.num_classes,
                     voxels = grid.voxels();
  Tensor x = net.input();
  for (std::int64_t n = 0; n < batch; ++n)
    for (std::int64_t c = 0; c < channels; ++c)
      for (std::int64_t v = 0; v < voxels; ++v)
        x.data_as<float>()[(n * voxels + v) * channels + c] =
            image[static_cast<std::size_t>((n * channels + c) * voxels + v)];
  const Tensor logits = net.forward(false).to(Device::cpu);
  std::vector<float> out(static_cast<std::size_t>(batch * classes * voxels));
  for (std::int64_t n = 0; n < batch; ++n)
    for (std::int64_t k = 0; k < classes; ++k)
      for (std::int64_t v = 0; v < voxels; ++v)
        out[static_cast<std::size_t>((n * classes + k) * voxels + v)] =
            logits.data_as<float>()[(n * voxels + v) * classes + k];
  return out;
}

std::string dims_text(std::int64_t n, std::int64_t c, Grid g) {
  return concat(n, ",", c, ",", g.d, ",", g.h, ",", g.w);
}

// onnxruntime's logits for `image`; CHECKs the shape it printed.
std::vector<float> onnxruntime_logits(const fs::path& model, const std::vector<float>& image,
                                      std::int64_t batch, std::int64_t channels,
                                      std::int64_t classes, Grid grid) {
  const fs::path dir = model.parent_path();
  write_floats(dir / "image.f32", image);
  const Result r = run(concat(interpreter("UNET3D_TEST_ONNXRUNTIME"), " ", kScripts,
                              "run_graph.py ", model, " ", dir / "image.f32", " ",
                              dims_text(batch, channels, grid), " ", dir / "logits.f32"));
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find(dims_text(batch, classes, grid)) != std::string::npos);
  return read_floats(dir / "logits.f32");
}

// ONNX's checker over `model` (a failure fails the test); the JSON check_graph.py prints.
json::Value checked_graph(const fs::path& model) {
  const Result r =
      run(concat(interpreter("UNET3D_TEST_ONNX_CHECKER"), " ", kScripts, "check_graph.py ", model));
  INFO(r.output);
  REQUIRE(r.code == 0);
  return json::parse(r.output.substr(r.output.find('{')), "check_graph.py's output");
}

std::vector<std::string> dims_of(const json::Value& value) {
  std::vector<std::string> dims;
  for (const json::Value& d : value.items) dims.push_back(d.text);
  return dims;
}

double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - b[i]));
  return worst;
}

}  // namespace

TEST_CASE("export: each architecture's graph passes the checker and matches our logits",
          "[export]") {
  for (const Architecture& a : architectures()) {
    INFO(a.name);
    const fs::path dir = scratch_folder("onnx_architectures") / a.name.substr(0, 8);
    fs::create_directories(dir);
    write_checkpoint(a, dir / "model.safetensors");
    const Result exported = run(concat(kExport, " --checkpoint ", dir / "model.safetensors",
                                       " --out ", dir / "model.onnx"));
    INFO(exported.output);
    REQUIRE(exported.code == 0);

    const json::Value graph = checked_graph(dir / "model.onnx");
    CHECK(graph.find("opset")->as_int("opset") <= 17);
    const UNetConfig& c = a.config;
    CHECK(dims_of(*graph.find("inputs")->find("image")) ==
          std::vector<std::string>{"N", concat(c.in_channels), "D", "H", "W"});
    CHECK(dims_of(*graph.find("outputs")->find("logits")) ==
          std::vector<std::string>{"N", concat(c.num_classes), "D", "H", "W"});
    // The metadata round trip: every key of the model file, verbatim, and nothing else.
    std::map<std::string, std::string> metadata;
    for (const json::Member& m : graph.find("metadata")->members) metadata[m.key] = m.value.text;
    CHECK(metadata == read_safetensors((dir / "model.safetensors").string()).metadata);

    const std::vector<float> image = random_image(2, c.in_channels, a.grid);
    const double difference = max_difference(
        our_logits(dir / "model.safetensors", image, 2, a.grid),
        onnxruntime_logits(dir / "model.onnx", image, 2, c.in_channels, c.num_classes, a.grid));
    INFO("largest difference " << difference);
    CHECK(difference <= 1e-4);

    // Symbolic axes: another batch and a grid twice as large along each axis.
    const Grid larger{2 * a.grid.d, 2 * a.grid.h, 2 * a.grid.w};
    onnxruntime_logits(dir / "model.onnx", random_image(1, c.in_channels, larger), 1, c.in_channels,
                       c.num_classes, larger);
  }
}

TEST_CASE("export: a state_dict without metadata gets its network's description", "[export]") {
  const fs::path dir = scratch_folder("onnx_state_dict");
  Architecture a = architectures()[0];
  a.config.activation = Activation::leaky_relu;
  write_checkpoint(a, dir / "ours.safetensors");
  SafetensorsFile plain = read_safetensors((dir / "ours.safetensors").string());
  plain.metadata.clear();
  write_safetensors((dir / "plain.safetensors").string(), plain);

  const Result exported = run(concat(kExport, " --checkpoint ", dir / "plain.safetensors",
                                     " --activation leakyrelu --out ", dir / "plain.onnx"));
  INFO(exported.output);
  REQUIRE(exported.code == 0);
  const json::Value graph = checked_graph(dir / "plain.onnx");
  const json::Value& metadata = *graph.find("metadata");
  CHECK(metadata.find("activation")->text == "leakyrelu");
  CHECK(metadata.find("init_features")->text == "4");
  CHECK(metadata.find("format")->text == "unet3d-v2");
  CHECK(metadata.find("input_size") == nullptr);  // a state_dict does not say it

  const std::vector<float> image = random_image(2, 1, a.grid);
  CHECK(max_difference(our_logits(dir / "ours.safetensors", image, 2, a.grid),
                       onnxruntime_logits(dir / "plain.onnx", image, 2, 1, 6, a.grid)) <= 1e-4);
}

TEST_CASE("export: a bad checkpoint or output is refused with the contract's exit code",
          "[export]") {
  const fs::path dir = scratch_folder("onnx_refused");
  write_checkpoint(architectures()[0], dir / "model.safetensors");
  SafetensorsFile extra = read_safetensors((dir / "model.safetensors").string());
  extra.tensors.push_back({"stray.weight", "F32", {1}, std::vector<char>(4, 0)});
  write_safetensors((dir / "extra.safetensors").string(), extra);

  Result r = run(
      concat(kExport, " --checkpoint ", dir / "extra.safetensors", " --out ", dir / "extra.onnx"));
  CHECK(r.code == 3);
  CHECK(r.output.find("unexpected tensor 'stray.weight'") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "extra.onnx"));
  r = run(concat(kExport, " --checkpoint ", dir / "absent.safetensors", " --out ",
                 dir / "absent.onnx"));
  CHECK(r.code == 3);
  r = run(concat(kExport, " --checkpoint ", dir / "model.safetensors"));
  CHECK(r.code == 2);
  CHECK(r.output.find("--out") != std::string::npos);
  r = run(concat(kExport, " --checkpoint ", dir / "model.safetensors", " --out ",
                 dir / "no_such_folder" / "model.onnx"));
  CHECK(r.code == 2);
  CHECK(r.output.find("no_such_folder") != std::string::npos);
}

TEST_CASE("export: docs/deployment.md's example segments a volume as predict does", "[export]") {
  const fs::path dir = scratch_folder("onnx_example");
  const std::string example = std::string(SOURCE_DIR) + "/docs/examples/onnx_segment.py";
  // The page shows the example whole, so the two cannot drift apart.
  CHECK(read_text(std::string(SOURCE_DIR) + "/docs/deployment.md").find(read_text(example)) !=
        std::string::npos);

  REQUIRE(run(concat(kPhantoms, " --out ", dir / "data", " --phantoms 12 --phantom-size 48,40,24"))
              .code == 0);
  const Result trained =
      run(concat(kTrainer, " --data ", dir / "data", " --out ", dir / "run", " --no-cache",
                 " --device cpu --size 16 --features 4 --depth 2 --batch 2 --epochs 4 --lr 1e-2"));
  INFO(trained.output);
  REQUIRE(trained.code == 0);
  const fs::path model = dir / "run" / "best.safetensors";
  REQUIRE(run(concat(kExport, " --checkpoint ", model, " --out ", dir / "model.onnx")).code == 0);
  const fs::path image = dir / "data" / "semantic_MRs" / "Case_001_Week0_LFOV.nii.gz";
  REQUIRE(run(concat(kPredict, " --device cpu --checkpoint ", model, " --input ", image, " --out ",
                     dir / "ours"))
              .code == 0);
  const Result r = run(concat(interpreter("UNET3D_TEST_ONNXRUNTIME"), " ", example, " ",
                              dir / "model.onnx", " ", image, " ", dir / "example_seg.nii.gz"));
  INFO(r.output);
  REQUIRE(r.code == 0);

  const NiftiVolume ours = read_nifti((dir / "ours" / "Case_001_Week0_LFOV_seg.nii.gz").string());
  const NiftiVolume theirs = read_nifti((dir / "example_seg.nii.gz").string());
  REQUIRE(theirs.values.size() == ours.values.size());
  CHECK(theirs.geometry.nx == ours.geometry.nx);
  CHECK(theirs.geometry.nz == ours.geometry.nz);
  CHECK(theirs.datatype == ours.datatype);  // uint8
  std::size_t same = 0;
  std::set<float> classes;
  for (std::size_t i = 0; i < ours.values.size(); ++i) {
    same += ours.values[i] == theirs.values[i];
    classes.insert(ours.values[i]);
  }
  const double agreement = static_cast<double>(same) / static_cast<double>(ours.values.size());
  INFO("agreement " << agreement << " over " << classes.size() << " classes");
  CHECK(classes.size() >= 2);  // not a constant map, which would agree trivially
  CHECK(agreement >= 0.999);
}
