// The trainer on the real hippocampus data, small and short: the Dice it must reach.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/json.h"
#include "tests/support/test_data.h"

using namespace unet3d;
namespace fs = std::filesystem;

TEST_CASE("two epochs on hippocampus at 32^3 reach a mean foreground test Dice of 0.6",
          "[e2e][data]") {
  const fs::path out = fs::temp_directory_path() / "unet3d_e2e_hippocampus";
  fs::remove_all(out);
  const std::string command =
      std::string(TRAINER_PATH) + " --data " + (testing::test_data_dir() / "hippocampus").string() +
      " --out " + out.string() +
      " --device cpu --size 32 --features 4 --depth 2 --epochs 2 --batch 2 --accum 1 --lr 1e-2"
      " --no-cache"
      " > " +
      (out.string() + ".log") + " 2>&1";
  const int status = std::system(command.c_str());
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  std::ifstream in(out / "test" / "report.json");
  std::stringstream text;
  text << in.rdbuf();
  const json::Value report = json::parse(text.str(), "report.json");
  const json::Value& per_class = *report.find("network_resolution")->find("per_class");
  const double anterior = std::stod(per_class.find("Anterior")->text);
  const double posterior = std::stod(per_class.find("Posterior")->text);
  std::printf("hippocampus, 2 epochs at 32^3: test Dice Anterior %.4f, Posterior %.4f\n", anterior,
              posterior);
  CHECK((anterior + posterior) / 2 > 0.6);
}
