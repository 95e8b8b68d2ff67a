// The signal handlers: the first SIGINT or SIGTERM is remembered and stops the work at its next
// check; a second exits at once with 128 + the signal. Run in forked children, so that the test
// process keeps its own handlers.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "runtime/error.h"
#include "runtime/interrupt.h"
#include "tests/support/test_data.h"
#include "tests/support/tool_runs.h"

using namespace unet3d;

namespace {

// Runs `child` in a forked process with stderr sent to `log`; its exit status.
int in_child(const std::filesystem::path& log, void (*child)()) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (std::freopen(log.c_str(), "w", stderr) == nullptr) _exit(90);
    child();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("a first signal is remembered and stops the work at its next check", "[interrupt]") {
  const auto log = unet3d::testing::scratch_folder("interrupt_first") / "stderr.txt";
  const int code = in_child(log, [] {
    install_interrupt_handlers();
    if (pending_interrupt() != 0) _exit(10);
    std::raise(SIGTERM);
    if (pending_interrupt() != SIGTERM || interrupt_exit_code() != 143) _exit(11);
    try {
      stop_if_interrupted("the test");
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::terminated || e.exit_code() != 143) _exit(12);
      std::fprintf(stderr, "%s\n", e.what());
      std::fflush(stderr);  // _exit does not flush
      _exit(0);
    }
    _exit(13);
  });
  CHECK(code == 0);
  CHECK_THAT(unet3d::testing::read_text(log),
             Catch::Contains("interrupted (SIGTERM) during the test"));
}

TEST_CASE("a second signal exits at once with 128 + the signal", "[interrupt]") {
  const auto log = unet3d::testing::scratch_folder("interrupt_second") / "stderr.txt";
  const int code = in_child(log, [] {
    install_interrupt_handlers();
    std::raise(SIGINT);
    std::raise(SIGINT);  // exits here
    _exit(20);
  });
  CHECK(code == 130);
  CHECK_THAT(unet3d::testing::read_text(log), Catch::Contains("interrupted again: exiting now"));
}

TEST_CASE("an adopted stop is no signal received: the process's own copy is then its first",
          "[interrupt]") {
  const auto log = unet3d::testing::scratch_folder("interrupt_adopted") / "stderr.txt";
  const int code = in_child(log, [] {
    install_interrupt_handlers();
    adopt_interrupt(SIGTERM);  // the stop another rank of a data-parallel job received
    if (pending_interrupt() != SIGTERM || interrupt_exit_code() != 143) _exit(30);
    std::raise(SIGTERM);  // this rank's own copy, forwarded by the launcher: no exit
    if (pending_interrupt() != SIGTERM) _exit(31);
    std::raise(SIGINT);  // a second signal received: exits here with 130
    _exit(32);
  });
  CHECK(code == 130);
}
