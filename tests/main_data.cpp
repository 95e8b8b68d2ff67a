// Entry point of the real-data test executable: skipped where the data is absent, except under
// CI, where its absence is a failure (CI must never skip these silently).
#include <cstdio>

#include "tests/support/runner.h"
#include "tests/support/test_data.h"

int main(int argc, char** argv) {
  using namespace unet3d::testing;
  bool missing_under_ci = false;
  const int status = run_catch_or_skip(argc, argv, [&] {
    std::string reason = missing_test_data("hippocampus");
    missing_under_ci = !reason.empty() && running_under_ci();
    return reason;
  });
  if (missing_under_ci) {
    std::printf("FAILED: CI=true, and the real test data must be present there\n");
    return 1;
  }
  return status;
}
