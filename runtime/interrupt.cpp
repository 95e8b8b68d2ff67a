// The signal handlers: a flag for the first signal, an immediate exit for the second.
#include "runtime/interrupt.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

#include "runtime/error.h"

namespace unet3d {
namespace {

std::atomic<int> pending{0};
std::atomic<int> received{0};  // signals this process was sent (adopt_interrupt sends none)

extern "C" void on_signal(int signal) {
  if (received.fetch_add(1) == 0) {  // the first: asks for a stop, unless one is already asked
    int none = 0;
    pending.compare_exchange_strong(none, signal);
    return;
  }
  // A second signal: only async-signal-safe calls from here on.
  static const char message[] = "\ninterrupted again: exiting now\n";
  const ssize_t ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
  (void)ignored;
  ::_exit(128 + signal);
}

}  // namespace

void install_interrupt_handlers() {
  pending = 0;
  received = 0;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

void remove_interrupt_handlers() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

void adopt_interrupt(int signal) {
  pending.store(signal);
}

int pending_interrupt() {
  return pending.load();
}

int interrupt_exit_code() {
  return pending.load() == SIGTERM ? 143 : 130;
}

void stop_if_interrupted(const char* phase) {
  if (const int signal = pending.load(); signal != 0)
    throw Error(
        signal == SIGTERM ? ErrorKind::terminated : ErrorKind::interrupted,
        concat("interrupted (", signal == SIGTERM ? "SIGTERM" : "SIGINT", ") during ", phase));
}

}  // namespace unet3d
