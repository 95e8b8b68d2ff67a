// Error messages name the condition, the values, the file and the line; kinds map to exit codes.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <new>
#include <system_error>
#include <thread>

#include "runtime/device.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/stderr_capture.h"

using namespace unet3d;

TEST_CASE("UNET3D_CHECK names the condition, the message and the place", "[errors]") {
  const int channels = 7;
  try {
    UNET3D_CHECK(channels % 8 == 0, "channels = ", channels);
    FAIL("the check passed");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::runtime);
    CHECK(e.exit_code() == 1);
    CHECK_THAT(e.what(), Catch::Contains("channels % 8 == 0") && Catch::Contains("channels = 7"));
    // The place is kept apart from the message a user reads.
    CHECK_THAT(e.what(), !Catch::Contains("test_errors.cpp"));
    CHECK_THAT(e.where(), Catch::Contains("test_errors.cpp:"));
  }
}

TEST_CASE("usage errors exit with 2", "[errors]") {
  try {
    UNET3D_USAGE_CHECK(false, "--epochs: '", "x", "' is not a number");
    FAIL("the check passed");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK_THAT(e.what(), Catch::StartsWith("--epochs: 'x' is not a number"));
  }
}

TEST_CASE("device words are parsed or refused by name", "[errors][device]") {
  CHECK(parse_device("cpu") == Device::cpu);
  CHECK(parse_device("auto") == (gpu_available() ? Device::cuda : Device::cpu));
  CHECK_THROWS_WITH(parse_device("gpu"), Catch::Contains("'gpu'"));
  if (!gpu_available()) {
    CHECK_FALSE(gpu_unavailable_reason().empty());
    CHECK_THROWS_WITH(parse_device("cuda"), Catch::Contains(gpu_unavailable_reason()));
  }
}

TEST_CASE("any exception becomes one line a user reads, its place kept apart", "[errors]") {
  const auto report_for = [](auto thrower) {
    try {
      thrower();
    } catch (...) {
      return report_of(std::current_exception());
    }
    FAIL("nothing thrown");
    return ErrorReport{};
  };
  const ErrorReport fs_error = report_for([] {
    throw std::filesystem::filesystem_error(
        "ignored", "/no/such/dir", std::make_error_code(std::errc::no_such_file_or_directory));
  });
  CHECK_THAT(fs_error.message, Catch::Contains("/no/such/dir"));
  CHECK_THAT(fs_error.message, !Catch::Contains("filesystem error"));
  CHECK(fs_error.exit_code == 1);
  const ErrorReport memory = report_for([] { throw std::bad_alloc(); });
  CHECK_THAT(memory.message, Catch::Contains("out of memory"));
  const ErrorReport lines =
      report_for([] { throw Error(ErrorKind::data, "first\nsecond", "here.cpp:3"); });
  CHECK(lines.message.find('\n') == std::string::npos);
  CHECK_THAT(lines.message, Catch::Contains("first") && Catch::Contains("second"));
  CHECK(lines.where == "here.cpp:3");
  CHECK(lines.exit_code == 3);
}

TEST_CASE("a library's stderr lines are captured, and stderr restored", "[errors]") {
  StderrCapture capture;
  std::fprintf(stderr, "** ERROR: a library speaks\n");
  CHECK(capture.release() == "** ERROR: a library speaks\n");
  CHECK(capture.release().empty());  // once
}

TEST_CASE("captures on two threads neither nest nor swallow each other's lines", "[errors]") {
  struct stat before {};
  REQUIRE(fstat(STDERR_FILENO, &before) == 0);
  // Interleaved, each capture would save the other's redirection and one could restore it last.
  const auto capture_lines = [](const char* line, int& kept) {
    for (int i = 0; i < 200; ++i) {
      StderrCapture capture;
      std::fprintf(stderr, "%s", line);
      kept += capture.release() == line;
    }
  };
  int kept_a = 0, kept_b = 0;
  std::thread a(capture_lines, "a\n", std::ref(kept_a));
  capture_lines("b\n", kept_b);
  a.join();
  CHECK(kept_a == 200);
  CHECK(kept_b == 200);
  struct stat after {};
  REQUIRE(fstat(STDERR_FILENO, &after) == 0);
  CHECK((after.st_dev == before.st_dev && after.st_ino == before.st_ino));  // stderr restored
}

TEST_CASE("command lines are shell-quoted word by word", "[errors][flags]") {
  CHECK(shell_quoted("--data") == "--data");
  CHECK(shell_quoted("/a/b_c-1.5,2:x=y+z@%") == "/a/b_c-1.5,2:x=y+z@%");
  CHECK(shell_quoted("") == "''");
  CHECK(shell_quoted("two words") == "'two words'");
  CHECK(shell_quoted("it's") == "'it'\\''s'");
  CHECK(shell_quoted("$HOME;rm") == "'$HOME;rm'");
}
