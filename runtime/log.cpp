// Log sinks and the progress bar's drawing.
#include "runtime/log.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "runtime/stderr_capture.h"

namespace unet3d {
namespace {

struct LogState {
  std::mutex mutex;
  LogLevel level = LogLevel::info;
  std::FILE* file = nullptr;
};

LogState& log_state() {
  static LogState state;
  return state;
}

const char* level_tag(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warning";
    case LogLevel::error: return "error";
  }
  return "";
}

}  // namespace

void set_log_level(LogLevel level) {
  std::lock_guard lock(log_state().mutex);
  log_state().level = level;
}

void set_log_file(const std::string& path) {
  LogState& s = log_state();
  std::lock_guard lock(s.mutex);
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr)
    throw_error(ErrorKind::runtime, concat("cannot open log file ", path), __FILE__, __LINE__);
  if (s.file != nullptr) std::fclose(s.file);
  s.file = f;
}

void close_log_file() {
  LogState& s = log_state();
  std::lock_guard lock(s.mutex);
  if (s.file != nullptr) std::fclose(s.file);
  s.file = nullptr;
}

void append_to_log_file(std::string_view line) {
  LogState& s = log_state();
  std::lock_guard lock(s.mutex);
  if (s.file == nullptr) return;
  std::fprintf(s.file, "%.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(s.file);
}

void log_message(LogLevel level, std::string_view message) {
  LogState& s = log_state();
  // stderr's lock first, as everywhere: a capture on another thread ends before the line goes.
  const std::lock_guard terminal(stderr_lock());
  std::lock_guard lock(s.mutex);
  if (level < s.level) return;
  const std::string prefix = level == LogLevel::info ? "" : concat(level_tag(level), ": ");
  std::fprintf(stderr, "%s%.*s\n", prefix.c_str(), static_cast<int>(message.size()),
               message.data());
  if (s.file != nullptr) {
    std::fprintf(s.file, "%s%.*s\n", prefix.c_str(), static_cast<int>(message.size()),
                 message.data());
    std::fflush(s.file);
  }
}

ProgressBar::ProgressBar(std::string label, std::int64_t total, std::FILE* out, RateUnit rate)
    : label_(std::move(label)),
      total_(std::max<std::int64_t>(total, 0)),
      rate_(rate),
      out_(out),
      // A bar is info-level output: a process logging warnings and errors only draws none.
      quiet_(log_state().level > LogLevel::info),
      interactive_(!quiet_ && isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  // Unwinding for an error, whose one line is what a user should read: end a drawn bar's line,
  // draw nothing more.
  if (std::uncaught_exceptions() > exceptions_) {
    if (interactive_ && !finished_ && last_draw_ != start_) std::fprintf(out_, "\n");
    return;
  }
  finish();
}

void ProgressBar::advance(std::int64_t steps, std::string_view status) {
  done_ = std::min(done_ + steps, total_);
  status_ = status;
  if (!interactive_) return;
  const auto now = std::chrono::steady_clock::now();
  // Redrawing more often than 10 times a second only costs time.
  if (done_ < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const std::lock_guard terminal(stderr_lock());
  std::fprintf(out_, "\r%s", render(label_, done_, total_, elapsed, status_, 30, rate_).c_str());
  std::fflush(out_);
}

void ProgressBar::set_done(std::int64_t done, std::string_view status) {
  advance(done - done_, status);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (quiet_) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::lock_guard terminal(stderr_lock());
  std::fprintf(out_, "%s%s\n", interactive_ ? "\r" : "",
               render(label_, done_, total_, elapsed, status_, 30, rate_).c_str());
  std::fflush(out_);
}

std::string ProgressBar::render(std::string_view label, std::int64_t done, std::int64_t total,
                                double elapsed_s, std::string_view status, int width,
                                const RateUnit& rate_unit) {
  const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const int filled = static_cast<int>(fraction * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  char numbers[96];
  const double rate =
      elapsed_s > 0 ? static_cast<double>(done) / elapsed_s * rate_unit.seconds : 0.0;
  // The time left, at the rate so far (unknown before the first step and after the last).
  const double left = done > 0 && done < total ? elapsed_s * static_cast<double>(total - done) /
                                                     static_cast<double>(done)
                                               : 0;
  std::snprintf(numbers, sizeof numbers, "%lld/%lld  %.1f s  ETA %.1f s  %.2f %s",
                static_cast<long long>(done), static_cast<long long>(total), elapsed_s, left, rate,
                rate_unit.name);
  std::string line = concat(label, "  [", bar, "]  ", numbers);
  if (!status.empty()) line += concat("  ", status);
  return line;
}

}  // namespace unet3d
