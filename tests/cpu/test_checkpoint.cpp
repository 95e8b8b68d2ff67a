// Checkpoints: PyTorch layouts in a hand-written file, round trips, every kind of bad file, and a
// resumed run that continues bit for bit.
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/safetensors.h"
#include "kernels/elementwise.h"
#include "layers/train_step.h"
#include "tests/support/error_of.h"
#include "tests/support/phantom.h"
#include "tests/support/test_data.h"
#include "tools/model/checkpoint.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

const UNetConfig kSmall{1, 2, 2, 1};

// The value stored at PyTorch index k of the tensor numbered `t`: distinct everywhere.
float torch_value(std::size_t t, std::int64_t k) {
  return static_cast<float>(t) + 0.001f * static_cast<float>(k);
}

// Writes a safetensors file by hand (without the project's writer): every tensor of the small
// network in PyTorch's layout, F32, no metadata, as a plain PyTorch save_file would.
void write_torch_file(const fs::path& path, ParameterStore& params) {
  std::string header = "{";
  std::vector<char> data;
  const auto add = [&](const std::string& name, const std::string& dtype,
                       const std::vector<std::int64_t>& shape, const std::vector<char>& bytes) {
    std::string dims;
    for (std::int64_t d : shape) dims += (dims.empty() ? "" : ",") + std::to_string(d);
    header += (header.size() > 1 ? "," : "") +
              ("\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + dims +
               "],\"data_offsets\":[" + std::to_string(data.size()) + "," +
               std::to_string(data.size() + bytes.size()) + "]}");
    data.insert(data.end(), bytes.begin(), bytes.end());
  };
  for (std::size_t t = 0; t < params.size(); ++t) {
    const ParameterSpec& spec = params.spec(t);
    const Shape& s = spec.shape;
    std::vector<std::int64_t> shape{s.c};
    if (spec.layout != ParameterLayout::vector) shape = {s.n, s.c, s.d, s.h, s.w};
    std::vector<char> bytes(static_cast<std::size_t>(s.numel()) * 4);
    for (std::int64_t k = 0; k < s.numel(); ++k) {
      const float v = torch_value(t, k);
      std::memcpy(bytes.data() + 4 * k, &v, 4);
    }
    add(spec.name, "F32", shape, bytes);
    if (spec.name.ends_with("running_var")) {
      std::vector<char> tracked(8, 0);
      tracked[0] = 7;
      add(spec.name.substr(0, spec.name.size() - 11) + "num_batches_tracked", "I64", {}, tracked);
    }
  }
  header += "}";
  std::ofstream out(path, std::ios::binary);
  const std::uint64_t length = header.size();
  out.write(reinterpret_cast<const char*>(&length), 8);  // little-endian host
  out << header;
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

}  // namespace

TEST_CASE("a hand-written PyTorch-layout file loads into the expected weights", "[checkpoint]") {
  const fs::path dir = scratch_folder("torch_layout");
  UNet3D net(kSmall, Device::cpu, Precision::f32, 1, 8);
  ParameterStore& p = net.parameters();
  write_torch_file(dir / "torch.safetensors", p);

  const ModelInfo info = read_model_info((dir / "torch.safetensors").string());
  CHECK_FALSE(info.has_metadata);
  CHECK(info.config.in_channels == 1);
  CHECK(info.config.num_classes == 2);
  CHECK(info.config.init_features == 2);
  CHECK(info.config.depth == 1);

  load_model((dir / "torch.safetensors").string(), net);
  CHECK(net.batches_tracked() == 7);
  for (std::size_t t = 0; t < p.size(); ++t) {
    const ParameterSpec& spec = p.spec(t);
    const Shape& s = spec.shape;
    const std::vector<double> ours = to_doubles(p.value(t));
    INFO(spec.name);
    if (spec.layout == ParameterLayout::vector) {
      for (std::int64_t k = 0; k < s.c; ++k) REQUIRE(ours[k] == torch_value(t, k));
      continue;
    }
    // Ours [a, kd, kh, kw, b] holds PyTorch's [a, b, kd, kh, kw] (conv: a = out, b = in;
    // transposed conv: a = in, b = out).
    for (std::int64_t a = 0; a < s.n; ++a)
      for (std::int64_t b = 0; b < s.c; ++b)
        for (std::int64_t kd = 0; kd < s.d; ++kd)
          for (std::int64_t kh = 0; kh < s.h; ++kh)
            for (std::int64_t kw = 0; kw < s.w; ++kw) {
              const std::int64_t torch = (((a * s.c + b) * s.d + kd) * s.h + kh) * s.w + kw;
              const std::int64_t here = (((a * s.d + kd) * s.h + kh) * s.w + kw) * s.c + b;
              REQUIRE(ours[here] == torch_value(t, torch));
            }
  }
}

TEST_CASE("a saved model loads back exactly, with its metadata", "[checkpoint]") {
  const fs::path dir = scratch_folder("round_trip");
  UNet3D net(kSmall, Device::cpu, Precision::f32, 1, 8);
  net.parameters().initialize(3);
  net.set_batches_tracked(12);
  save_model((dir / "m.safetensors").string(), net, {kSmall, 8, 4, 40, {"bg", "fg"}, true});

  const SafetensorsFile raw = read_safetensors((dir / "m.safetensors").string());
  CHECK(raw.metadata.at("format") == "unet3d-v1");
  CHECK(raw.metadata.at("input_size") == "8");
  CHECK(raw.metadata.at("class_names") == "bg,fg");
  CHECK(raw.find("enc1.bn1.num_batches_tracked")->dtype == "I64");
  CHECK(raw.find("enc1.conv1.weight")->shape == std::vector<std::int64_t>{2, 1, 3, 3, 3});
  CHECK(raw.find("up1.weight")->shape == std::vector<std::int64_t>{4, 2, 2, 2, 2});

  UNet3D copy(kSmall, Device::cpu, Precision::f32, 1, 8);
  const ModelInfo info = load_model((dir / "m.safetensors").string(), copy);
  CHECK(info.epoch == 4);
  CHECK(info.step == 40);
  CHECK(info.class_names == std::vector<std::string>{"bg", "fg"});
  CHECK(copy.batches_tracked() == 12);
  CHECK(compare(copy.parameters().values(), net.parameters().values(), tolerance(Check::exact)).ok);
}

TEST_CASE(
    "a patch-mode model records its mode, spacing and patch, and a file without mode is "
    "resize mode",
    "[checkpoint][patch]") {
  const fs::path dir = scratch_folder("patch_metadata");
  const Grid patch{4, 8, 12};  // (z, y, x)
  UNet3D net(kSmall, Device::cpu, Precision::f32, 1, patch);
  net.parameters().initialize(5);
  ModelInfo info{kSmall, 0, 2, 9, {"bg", "fg"}, true};
  info.mode = InputMode::patch;
  info.spacing = {2.5, 1.25, 0.75};
  info.patch = patch;
  const std::string path = (dir / "patch.safetensors").string();
  save_model(path, net, info);
  const SafetensorsFile raw = read_safetensors(path);
  CHECK(raw.metadata.at("mode") == "patch");
  CHECK(raw.metadata.at("spacing") == "0.75,1.25,2.5");  // x,y,z
  CHECK(raw.metadata.at("patch_size") == "12,8,4");
  CHECK(raw.metadata.count("input_size") == 0);
  const ModelInfo back = read_model_info(path);
  CHECK(back.mode == InputMode::patch);
  CHECK(back.spacing == info.spacing);
  CHECK(back.patch == patch);
  CHECK(back.input_size == 0);
  UNet3D copy(kSmall, Device::cpu, Precision::f32, 1, patch);
  CHECK(load_model(path, copy).epoch == 2);
  CHECK(compare(copy.parameters().values(), net.parameters().values(), tolerance(Check::exact)).ok);
  // Another patch is refused, naming both.
  UNet3D other(kSmall, Device::cpu, Precision::f32, 1, Grid{4, 8, 8});
  CHECK_THROWS_WITH(load_model(path, other), Catch::Contains("12,8,4") && Catch::Contains("8,8,4"));

  // A resize-mode file without `mode` (as written before patch mode existed).
  SafetensorsFile old = raw;
  old.metadata.erase("mode");
  old.metadata.erase("spacing");
  old.metadata.erase("patch_size");
  old.metadata.erase("data_crc32c");
  old.metadata["input_size"] = "8";
  const std::string old_path = (dir / "old.safetensors").string();
  write_safetensors(old_path, old);
  const ModelInfo resize = read_model_info(old_path);
  CHECK(resize.mode == InputMode::resize);
  CHECK(resize.input_size == 8);
  // A patch-mode file that lost its spacing is a data error naming the key.
  old.metadata["mode"] = "patch";
  write_safetensors(old_path, old);
  CHECK_THROWS_WITH(read_model_info(old_path), Catch::Contains("'spacing'"));
}

TEST_CASE("bad checkpoint files are refused with the file and the tensor named", "[checkpoint]") {
  const fs::path dir = scratch_folder("bad_files");
  UNet3D net(kSmall, Device::cpu, Precision::f32, 1, 8);
  const std::string good = (dir / "good.safetensors").string();
  save_model(good, net, {kSmall, 8, 0, 0, {}, true});
  const auto load = [&](const std::string& path) {
    return [&net, path] { load_model(path, net); };
  };

  // Truncated: the last bytes of data are missing.
  const std::string truncated = (dir / "truncated.safetensors").string();
  fs::copy_file(good, truncated);
  fs::resize_file(truncated, fs::file_size(good) - 10);
  CHECK_THAT(error_of(load(truncated), ErrorKind::data),
             Catch::Contains("truncated.safetensors") && Catch::Contains("tensor '"));

  // A header that is not JSON.
  const std::string garbage = (dir / "garbage.safetensors").string();
  {
    std::ofstream out(garbage, std::ios::binary);
    const std::uint64_t length = 5;
    out.write(reinterpret_cast<const char*>(&length), 8);
    out << "{oops";
  }
  CHECK_THAT(error_of(load(garbage), ErrorKind::data),
             Catch::Contains("garbage.safetensors") && Catch::Contains("invalid JSON"));

  // Missing, extra, reshaped and retyped tensors.
  const auto edited = [&](const std::string& name, const std::function<void(SafetensorsFile&)>& f) {
    SafetensorsFile file = read_safetensors(good);
    f(file);
    const std::string path = (dir / (name + ".safetensors")).string();
    write_safetensors(path, file);
    return path;
  };
  const std::string missing = edited("missing", [](SafetensorsFile& f) {
    std::erase_if(f.tensors, [](const StoredTensor& t) { return t.name == "dec1.bn2.bias"; });
  });
  CHECK_THAT(error_of(load(missing), ErrorKind::data),
             Catch::Contains("missing.safetensors: missing tensor 'dec1.bn2.bias'"));
  const std::string extra = edited("extra", [](SafetensorsFile& f) {
    f.tensors.push_back({"dec9.weight", "F32", {1}, std::vector<char>(4, 0)});
  });
  CHECK_THAT(error_of(load(extra), ErrorKind::data),
             Catch::Contains("unexpected tensor 'dec9.weight'"));
  const std::string reshaped = edited("reshaped", [](SafetensorsFile& f) {
    for (StoredTensor& t : f.tensors)
      if (t.name == "head.weight") t.shape = {1, 2, 2, 1, 1};
  });
  CHECK_THAT(
      error_of(load(reshaped), ErrorKind::data),
      Catch::Contains("tensor 'head.weight' is F32 [1, 2, 2, 1, 1], expected F32 [2, 2, 1, 1, 1]"));
  const std::string retyped = edited("retyped", [](SafetensorsFile& f) {
    for (StoredTensor& t : f.tensors)
      if (t.name == "head.bias") t.dtype = "I32";
  });
  CHECK_THAT(error_of(load(retyped), ErrorKind::data),
             Catch::Contains("tensor 'head.bias' is I32"));

  // A configuration that is not this run's is a usage error.
  UNet3D wider({1, 2, 4, 1}, Device::cpu, Precision::f32, 1, 8);
  CHECK_THAT(error_of([&] { load_model(good, wider); }, ErrorKind::usage),
             Catch::Contains("the checkpoint has init_features 2, this run 4"));
}

TEST_CASE("a failed write leaves the previous file and no temporary behind", "[checkpoint]") {
  const fs::path dir = scratch_folder("failed_write");
  SafetensorsFile file;
  file.tensors.push_back({"x", "F32", {1}, std::vector<char>(4, 0)});
  CHECK_THAT(error_of([&] { write_safetensors("/nonexistent-folder/x.safetensors", file); },
                      ErrorKind::runtime),
             Catch::Contains("/nonexistent-folder/x.safetensors"));
  // The target is a non-empty folder, so the final rename fails.
  fs::create_directories(dir / "blocked.safetensors" / "inside");
  CHECK_THAT(error_of([&] { write_safetensors((dir / "blocked.safetensors").string(), file); },
                      ErrorKind::runtime),
             Catch::Contains("blocked.safetensors"));
  CHECK(fs::is_directory(dir / "blocked.safetensors" / "inside"));
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  CHECK(entries == 1);  // no temporary file left
}

TEST_CASE("a resumed run continues bit for bit on the CPU, whichever the optimizer",
          "[checkpoint][training]") {
  const OptimizerKind kind =
      GENERATE(OptimizerKind::adam, OptimizerKind::adamw, OptimizerKind::sgd);
  INFO("optimizer " << optimizer_word(kind));
  const fs::path dir = scratch_folder("resume");
  const UNetConfig config{1, 3, 2, 2};
  struct Run {
    UNet3D net;
    Optimizer adam;
    LossScaler scaler{false, Device::cpu};
    TrainingStep step;
    Run(const UNetConfig& c, OptimizerKind k)
        : net(c, Device::cpu, Precision::f32, 2, 16),
          adam(net.parameters(), {1e-2, 0.9, 0.999, 1e-8, 1e-3, k}),
          step(net, adam, scaler, {LossKind::dice}, nullptr, 1) {
      Tensor image = net.input(), labels = step.labels();
      fill_phantom(image, labels, 21);
    }
    void train(int steps) {
      const std::int64_t before = adam.steps();
      for (int i = 0; i < steps; ++i) {
        step.micro_batch();
        step.apply();
      }
      REQUIRE(adam.steps() == before + steps);
    }
  };
  Run straight(config, kind);
  straight.net.parameters().initialize(9);
  straight.train(3);

  Run first(config, kind);
  first.net.parameters().initialize(9);
  first.train(1);
  save_model((dir / "last.safetensors").string(), first.net, {config, 16, 0, 1, {}, true});
  save_training_state((dir / "last.train.safetensors").string(), first.adam, first.scaler,
                      {1, {{"rng_counter", "17"}}});

  Run resumed(config, kind);
  const ModelInfo info = load_model((dir / "last.safetensors").string(), resumed.net);
  const TrainingState state = load_training_state((dir / "last.train.safetensors").string(),
                                                  resumed.adam, resumed.scaler, info.step);
  CHECK(state.extra.at("rng_counter") == "17");
  CHECK(resumed.adam.steps() == 1);
  resumed.train(2);
  CHECK(compare(resumed.net.parameters().values(), straight.net.parameters().values(),
                tolerance(Check::exact))
            .ok);
  for (std::size_t k = 0; k < straight.adam.state().size(); ++k)
    CHECK(compare(*resumed.adam.state()[k].second, *straight.adam.state()[k].second,
                  tolerance(Check::exact))
              .ok);
  // Another optimizer's state is refused, naming both.
  Run other(config, kind == OptimizerKind::sgd ? OptimizerKind::adam : OptimizerKind::sgd);
  CHECK_THROWS_WITH(load_training_state((dir / "last.train.safetensors").string(), other.adam,
                                        other.scaler, info.step),
                    Catch::Contains(std::string("the state of optimizer ") + optimizer_word(kind)));

  CHECK_THAT(
      error_of(
          [&] {
            load_training_state((dir / "last.train.safetensors").string(), resumed.adam,
                                resumed.scaler, 5);
          },
          ErrorKind::data),
      Catch::Contains("training state of step 1, but the model file beside it is at step 5"));
}
