// Fine-tuning (`trainer --init-from`): a checkpoint's tensors load where name and shape fit and
// the others keep their fresh values, with the report naming both; the settings a checkpoint
// fixes are taken where no flag gives them, and a flag that contradicts one is refused.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "io/normalization.h"
#include "tests/support/error_of.h"
#include "tests/support/test_data.h"
#include "tools/model/checkpoint.h"
#include "tools/run/fine_tuning.h"
#include "tools/run/run_flags.h"
#include "verify/compare.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

// Depth 2, 2 features, BatchNorm, 6 classes, one channel, resize mode at 8^3.
const UNetConfig kTrained{1, 6, 2, 2};

// A checkpoint of kTrained drawn from seed 3, with 12 batches tracked.
std::string trained_checkpoint(const fs::path& dir, UNet3D& net) {
  net.parameters().initialize(3);
  net.set_batches_tracked(12);
  const std::string path = (dir / "trained.safetensors").string();
  save_model(path, net, {kTrained, 8, 4, 40, {}, true});
  return path;
}

Tensor host_copy(ParameterStore& p, const std::string& name) {
  const Tensor value = p.value(static_cast<std::size_t>(p.require(name)));
  Tensor copy(value.shape(), value.dtype(), Device::cpu);
  copy.copy_from(value);
  return copy;
}

bool same(const Tensor& a, const Tensor& b) {
  return compare(a, b, tolerance(Check::exact)).ok;
}

// The trainer's settings for `args`: every run flag's value as config.json keeps them.
RunSettings settings_for(Flags& flags, std::vector<std::string> args) {
  add_run_flags(flags);
  args.insert(args.begin(), "trainer");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  REQUIRE(flags.parse(static_cast<int>(argv.size()), argv.data()));
  RunSettings s;
  for (const Flags::Entry& e : flags.entries())
    s[e.name] = e.is_switch ? (flags.on(e.name) ? "true" : "false") : flags.text(e.name);
  return s;
}

}  // namespace

TEST_CASE("load_matching_tensors loads what fits and keeps the rest fresh",
          "[checkpoint][fine-tuning]") {
  const fs::path dir = scratch_folder("fine_tuning_match");
  UNet3D trained(kTrained, Device::cpu, Precision::f32, 1, 8);
  const std::string path = trained_checkpoint(dir, trained);
  ParameterStore& theirs = trained.parameters();

  SECTION("other classes: the head stays fresh") {
    UNet3D net({1, 3, 2, 2}, Device::cpu, Precision::f32, 1, 8);
    ParameterStore& ours = net.parameters();
    ours.initialize(5);
    const Tensor fresh_head = host_copy(ours, "head.weight");
    const TensorMatch match = load_matching_tensors(path, net);
    CHECK(match.kept_fresh == std::vector<std::string>{"head.weight [3,2,1,1,1] (checkpoint "
                                                       "[6,2,1,1,1])",
                                                       "head.bias [3] (checkpoint [6])"});
    CHECK(match.not_used.empty());
    CHECK(match.loaded.size() + 2 == match.network_tensors());
    CHECK(match.info.config.num_classes == 6);
    CHECK(net.batches_tracked() == 12);
    for (std::size_t i = 0; i < ours.size(); ++i) {
      const std::string& name = ours.spec(i).name;
      INFO(name);
      if (name.starts_with("head.")) continue;
      CHECK(same(host_copy(ours, name), host_copy(theirs, name)));
    }
    CHECK(same(host_copy(ours, "head.weight"), fresh_head));
  }

  SECTION("other channels: the first convolution stays fresh") {
    UNet3D net({2, 6, 2, 2}, Device::cpu, Precision::f32, 1, 8);
    net.parameters().initialize(5);
    const Tensor fresh_first = host_copy(net.parameters(), "enc1.conv1.weight");
    const TensorMatch match = load_matching_tensors(path, net);
    CHECK(match.kept_fresh ==
          std::vector<std::string>{"enc1.conv1.weight [2,2,3,3,3] (checkpoint [2,1,3,3,3])"});
    CHECK(same(host_copy(net.parameters(), "enc1.conv1.weight"), fresh_first));
    CHECK(same(host_copy(net.parameters(), "head.weight"), host_copy(theirs, "head.weight")));
    CHECK(same(host_copy(net.parameters(), "enc1.bn1.running_mean"),
               host_copy(theirs, "enc1.bn1.running_mean")));
  }

  SECTION("other classes with deep supervision: every head stays fresh") {
    UNetConfig supervised{1, 6, 2, 3};
    supervised.deep_supervision = true;
    UNet3D before(supervised, Device::cpu, Precision::f32, 1, 16);
    before.parameters().initialize(3);
    const std::string ds_path = (dir / "supervised.safetensors").string();
    save_model(ds_path, before, {supervised, 16, 4, 40, {}, true});
    supervised.num_classes = 3;
    UNet3D net(supervised, Device::cpu, Precision::f32, 1, 16);
    const TensorMatch match = load_matching_tensors(ds_path, net);
    CHECK(match.kept_fresh == std::vector<std::string>{"ds2.weight [3,4,1,1,1] (checkpoint "
                                                       "[6,4,1,1,1])",
                                                       "ds2.bias [3] (checkpoint [6])",
                                                       "head.weight [3,2,1,1,1] (checkpoint "
                                                       "[6,2,1,1,1])",
                                                       "head.bias [3] (checkpoint [6])"});
  }

  SECTION("another network: nothing but the batch count fits, a usage error") {
    UNet3D net({1, 5, 4, 2}, Device::cpu, Precision::f32, 1, 8);
    net.parameters().initialize(5);
    const std::string message =
        error_of([&] { initialize_from_checkpoint(path, net); }, ErrorKind::usage);
    CHECK_THAT(message, Catch::Contains("--init-from " + path) &&
                            Catch::Contains("not a checkpoint of this network?"));
  }
}

TEST_CASE("a fine-tuned run takes the checkpoint's settings and refuses a contradicting flag",
          "[fine-tuning]") {
  const fs::path dir = scratch_folder("fine_tuning_settings");
  UNetConfig config{1, 6, 2, 2};
  config.norm = NormKind::instance;
  UNet3D net(config, Device::cpu, Precision::f32, 1, Grid{4, 8, 8});
  net.parameters().initialize(1);
  ModelInfo info{config, 0, 1, 1, {}, true, InputMode::patch, {3, 1.5, 1.5}, {4, 8, 8}, {}};
  info.normalization = parse_normalization("ct:-100,200,50,40", 1, "test");
  const std::string path = (dir / "patch.safetensors").string();
  save_model(path, net, info);

  Flags plain("trainer", "");
  RunSettings s = settings_for(plain, {"--init-from", path, "--epochs", "3"});
  take_checkpoint_settings(s, plain);
  CHECK(s.at("mode") == "patch");
  CHECK(s.at("spacing") == "1.5,1.5,3");
  CHECK(s.at("patch") == "8,8,4");
  CHECK(s.at("norm") == "instance");
  CHECK(s.at("features") == "2");
  CHECK(s.at("depth") == "2");
  CHECK(s.at("normalization") == "ct:-100,200,50,40");
  CHECK(s.at("epochs") == "3");

  // The same values written otherwise are no contradiction, and stay as the user wrote them.
  Flags agreeing("trainer", "");
  s = settings_for(agreeing, {"--init-from", path, "--spacing", "1.50,1.5,3.0", "--features", "02",
                              "--kernel-sizes", "3,3,3;3,3,3;3,3,3"});
  take_checkpoint_settings(s, agreeing);
  CHECK(s.at("spacing") == "1.50,1.5,3.0");

  // A resize-mode checkpoint: its size, and a preset's patch-mode values give way.
  UNet3D resized(kTrained, Device::cpu, Precision::f32, 1, 8);
  Flags preset("trainer", "");
  s = settings_for(preset, {"--init-from", trained_checkpoint(dir, resized)});
  s["mode"] = "patch", s["iters"] = "250", s["plan"] = "auto";  // as --preset nnunet sets them
  take_checkpoint_settings(s, preset);
  CHECK(s.at("mode") == "resize");
  CHECK(s.at("size") == "8");
  CHECK(s.at("iters") == "0");
  CHECK(s.at("plan") == "none");

  const auto refusal = [&](std::vector<std::string> args) {
    Flags flags("trainer", "");
    args.insert(args.begin(), {"--init-from", path});
    RunSettings given = settings_for(flags, args);
    return error_of([&] { take_checkpoint_settings(given, flags); }, ErrorKind::usage);
  };
  CHECK_THAT(refusal({"--features", "4"}),
             Catch::Contains("--features 4 contradicts --init-from " + path + " (features 2)"));
  CHECK_THAT(refusal({"--mode", "resize"}),
             Catch::Contains("--mode resize contradicts") && Catch::Contains("(mode patch)"));
  CHECK_THAT(refusal({"--norm", "batch"}), Catch::Contains("(norm instance)"));
  CHECK_THAT(refusal({"--normalization", "zscore"}),
             Catch::Contains("(normalization ct:-100,200,50,40)"));
  CHECK_THAT(refusal({"--pool-sizes", "2,2,1;2,2,2"}),
             Catch::Contains("--pool-sizes 2,2,1;2,2,2 contradicts") &&
                 Catch::Contains("(pool-sizes 2,2,2;2,2,2)"));
  CHECK_THAT(refusal({"--plan", "auto"}), Catch::Contains("--plan auto with --init-from"));
}
