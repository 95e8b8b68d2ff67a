// Catch2's runner, compiled once for every test executable.
#define CATCH_CONFIG_RUNNER
#include "tests/support/runner.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace unet3d::testing {

int run_catch_or_skip(int argc, char** argv, const std::function<std::string()>& skip_reason) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]).starts_with("--list")) listing = true;
  if (!listing) {
    const std::string reason = skip_reason();
    if (!reason.empty()) {
      std::printf("SKIPPED: %s\n", reason.c_str());
      return kSkipExitCode;
    }
  }
  return Catch::Session().run(argc, argv);
}

void skip_test(const std::string& reason) {
  std::printf("SKIPPED: %s\n", reason.c_str());
  std::fflush(stdout);
  std::exit(kSkipExitCode);
}

}  // namespace unet3d::testing
