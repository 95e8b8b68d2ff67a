// The main() of each test executable. Catch2 2.13 has no SKIP, so a whole executable whose
// precondition is missing (a GPU, the real data) exits with kSkipExitCode, which ctest reports
// as skipped (SKIP_RETURN_CODE). Listing runs (test discovery at build time) never evaluate
// the precondition, so listing never touches the GPU.
#pragma once

#include <functional>
#include <string>

namespace unet3d::testing {

inline constexpr int kSkipExitCode = 77;

// `skip_reason` returns "" to run the tests, or why they cannot run here.
int run_catch_or_skip(int argc, char** argv, const std::function<std::string()>& skip_reason);

// Ends the running test as skipped: prints "SKIPPED: <reason>" and exits with kSkipExitCode. For
// a test case that finds, part-way, that what it checks cannot be checked here; ctest runs each
// test case in a process of its own (catch_discover_tests), so only this case is skipped.
[[noreturn]] void skip_test(const std::string& reason);

}  // namespace unet3d::testing
