// Errors thrown by library code. Only tools catch them; the kind maps onto the exit code that
// docs/cli.md promises (1 runtime, 2 usage, 3 data, 130 and 143 a stop asked for by SIGINT and
// SIGTERM).
#pragma once

#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace unet3d {

enum class ErrorKind { runtime = 1, usage = 2, data = 3, interrupted = 130, terminated = 143 };

// what() is the message a user reads; where() the source file and line that threw it, kept apart
// so the terminal shows one plain line and train.log (or --verbose) the place as well.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, std::string where = "")
      : std::runtime_error(message), kind_(kind), where_(std::move(where)) {}
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return static_cast<int>(kind_); }
  const std::string& where() const { return where_; }

 private:
  ErrorKind kind_;
  std::string where_;
};

// Joins the arguments with operator<< into one message.
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// What a program reports for an exception that ends it: one line for the terminal (newlines
// folded), where it was thrown (for train.log and --verbose; "" when unknown) and the exit code.
// A std::filesystem error reads "cannot <operation> <path>: <reason>"; a failed allocation "out of
// memory".
struct ErrorReport {
  std::string message;
  std::string where;
  int exit_code = 1;
};
ErrorReport report_of(std::exception_ptr error);

[[noreturn]] void throw_error(ErrorKind kind, const std::string& message, const char* file,
                              int line);

}  // namespace unet3d

// Throws a runtime Error naming the failed condition and the message, from this file and line.
#define UNET3D_CHECK(condition, ...)                                                         \
  do {                                                                                       \
    if (!(condition))                                                                        \
      ::unet3d::throw_error(::unet3d::ErrorKind::runtime,                                    \
                            ::unet3d::concat("check failed: " #condition ": ", __VA_ARGS__), \
                            __FILE__, __LINE__);                                             \
  } while (0)

// Throws a usage Error: the caller asked for something this library does not do.
#define UNET3D_USAGE_CHECK(condition, ...)                                                       \
  do {                                                                                           \
    if (!(condition))                                                                            \
      ::unet3d::throw_error(::unet3d::ErrorKind::usage, ::unet3d::concat(__VA_ARGS__), __FILE__, \
                            __LINE__);                                                           \
  } while (0)
