// Logging to a file and the progress bar's line.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/log.h"

using namespace unet3d;

TEST_CASE("the progress bar shows counts, rate and status", "[log]") {
  const std::string line = ProgressBar::render("train", 7, 14, 2.0, "loss 0.41", 10);
  CHECK(line == "train  [#####.....]  7/14  2.0 s  ETA 2.0 s  3.50 it/s  loss 0.41");
  CHECK(ProgressBar::render("val", 0, 0, 0.0, "", 4) ==
        "val  [####]  0/0  0.0 s  ETA 0.0 s  0.00 it/s");
}

TEST_CASE("predict's progress line shows cases per minute and the time left", "[log]") {
  const RateUnit per_minute{"cases/min", 60};
  // 3 of 12 cases in 9 s: 20 cases a minute, 27 s for the other 9 at that rate.
  CHECK(ProgressBar::render("predict", 3, 12, 9.0, "", 8, per_minute) ==
        "predict  [##......]  3/12  9.0 s  ETA 27.0 s  20.00 cases/min");
  // Two ranks' job at its end: no time left, the status names the ranks.
  CHECK(ProgressBar::render("predict", 12, 12, 18.0, "2 ranks", 4, per_minute) ==
        "predict  [####]  12/12  18.0 s  ETA 0.0 s  40.00 cases/min  2 ranks");
}

TEST_CASE("a bar's count set from elsewhere is what its last line shows", "[log]") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  {
    ProgressBar bar("predict", 6, file, RateUnit{"cases/min", 60});
    bar.advance(2);  // one case of rank 0, standing for one on each of 2 ranks
    bar.set_done(5, "2 ranks");
  }
  std::rewind(file);
  char buffer[256] = {};
  const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
  std::fclose(file);
  CHECK_THAT(std::string(buffer, n), Catch::Contains("5/6") && Catch::Contains(" cases/min") &&
                                         Catch::EndsWith("  2 ranks\n"));
}

TEST_CASE("a finished progress bar prints one line where output is not a terminal", "[log]") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  {
    ProgressBar bar("epoch 1", 3, file);
    bar.advance(1, "a");
    bar.advance(5, "b");  // clamps at the total
  }
  std::rewind(file);
  char buffer[256] = {};
  const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
  std::fclose(file);
  const std::string text(buffer, n);
  CHECK_THAT(text,
             Catch::StartsWith("epoch 1  [") && Catch::Contains("3/3") && Catch::EndsWith("  b\n"));
  CHECK(text.find('\r') == std::string::npos);
}

TEST_CASE("log messages also go to the log file", "[log]") {
  const auto path = std::filesystem::temp_directory_path() / "unet3d_test_log.txt";
  std::filesystem::remove(path);
  set_log_file(path.string());
  log_info("epoch ", 3, " loss ", 0.5);
  log_warn("careful");
  log_debug("hidden at the default level");
  close_log_file();
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "epoch 3 loss 0.5\nwarning: careful\n");
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(set_log_file("/nonexistent-dir/x.log"), Catch::Contains("/nonexistent-dir"));
}
