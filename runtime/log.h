// Logging to stderr (and, once a run folder exists, to its log file too), and a progress bar
// that redraws in place on a terminal and prints one line per finished bar elsewhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "runtime/error.h"

namespace unet3d {

enum class LogLevel { debug, info, warn, error };

void set_log_level(LogLevel level);
// Every later message is appended to `path` as well; an unopenable path is a runtime Error.
void set_log_file(const std::string& path);
void close_log_file();
// `line` to the log file alone, where one is open: for what the caller has already printed.
void append_to_log_file(std::string_view line);
void log_message(LogLevel level, std::string_view message);

template <class... Args>
void log_info(const Args&... args) {
  log_message(LogLevel::info, concat(args...));
}
template <class... Args>
void log_warn(const Args&... args) {
  log_message(LogLevel::warn, concat(args...));
}
template <class... Args>
void log_debug(const Args&... args) {
  log_message(LogLevel::debug, concat(args...));
}

// How a bar shows its rate: steps per `seconds`, named `name` ("it/s"; predict's "cases/min").
struct RateUnit {
  const char* name = "it/s";
  double seconds = 1;
};

class ProgressBar {
 public:
  ProgressBar(std::string label, std::int64_t total, std::FILE* out = stderr, RateUnit rate = {});
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Moves the bar on by `steps`; `status` (e.g. "loss 0.412") is shown after the counts.
  void advance(std::int64_t steps = 1, std::string_view status = {});
  // Sets the count to `done` (known from elsewhere: other processes' counts, say).
  void set_done(std::int64_t done, std::string_view status = {});
  // Prints the final state once (also done by the destructor).
  void finish();

  // One line of the bar: "train  [#######.......]  7/16  1.2 s  ETA 1.5 s  5.83 it/s  loss 0.41",
  // the rate in `rate`'s unit.
  static std::string render(std::string_view label, std::int64_t done, std::int64_t total,
                            double elapsed_s, std::string_view status, int width = 30,
                            const RateUnit& rate = {});

 private:
  std::string label_;
  std::int64_t total_;
  RateUnit rate_;
  std::int64_t done_ = 0;
  std::string status_;
  std::FILE* out_;
  bool quiet_;
  bool interactive_;
  bool finished_ = false;
  int exceptions_ = std::uncaught_exceptions();  // in flight at construction
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace unet3d
