// predict's stages over a cohort (tools/cohort/case_pipeline.h): overlapped, they run each stage
// on each case once and in order, as one case after another does; a failure in any stage at
// case k leaves the cases before it written, starts none after it, and comes back as the earliest
// failing case's error, without a hang.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tools/cohort/case_pipeline.h"

using namespace unet3d;

namespace {

// A stage that fails at case `at` (none: never).
struct Failing {
  std::string stage;
  std::size_t at = SIZE_MAX;
};

// What a run wrote (each case's value, in the order written), and its error's message.
struct Outcome {
  std::vector<int> written;
  std::string error;
};

Outcome run_stages(bool overlapped, std::size_t n, std::vector<Failing> failing,
                   QueueDepths depths = {}) {
  Outcome outcome;
  const auto fail_if = [&](const char* stage, std::size_t k) {
    for (const Failing& f : failing)
      if (f.stage == stage && f.at == k)
        throw std::runtime_error(stage + std::string(" failed at ") + std::to_string(k));
  };
  const auto read = [&](std::size_t k) {
    fail_if("read", k);
    return std::make_pair(k, static_cast<int>(k * k));
  };
  const auto compute = [&](std::pair<std::size_t, int> c) {
    fail_if("compute", c.first);
    return std::make_pair(c.first, c.second + 1);
  };
  const auto write = [&](std::pair<std::size_t, int> c) {
    fail_if("write", c.first);
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // a writer behind the others
    outcome.written.push_back(c.second);
  };
  try {
    if (overlapped)
      run_overlapped(n, depths, read, compute, write);
    else
      run_in_turn(n, read, compute, write);
  } catch (const std::exception& e) {
    outcome.error = e.what();
  }
  return outcome;
}

}  // namespace

TEST_CASE("overlapped stages write what one case after another writes, in order", "[pipeline]") {
  const Outcome in_turn = run_stages(false, 40, {});
  CHECK(in_turn.error.empty());
  REQUIRE(in_turn.written.size() == 40);
  CHECK(in_turn.written[39] == 39 * 39 + 1);
  for (const QueueDepths depths : {QueueDepths{}, QueueDepths{1, 1}, QueueDepths{5, 3}})
    CHECK(run_stages(true, 40, {}, depths).written == in_turn.written);
  CHECK(run_stages(true, 0, {}).written.empty());
}

TEST_CASE("a failing stage stops the cases after it and leaves those before it written",
          "[pipeline]") {
  for (const char* stage : {"read", "compute", "write"})
    for (const std::size_t at : {std::size_t{0}, std::size_t{3}, std::size_t{19}}) {
      INFO(stage << " failing at case " << at);
      const Outcome in_turn = run_stages(false, 20, {{stage, at}});
      const Outcome overlapped = run_stages(true, 20, {{stage, at}}, {1, 1});
      CHECK(in_turn.written.size() == at);
      CHECK(overlapped.written == in_turn.written);
      CHECK(overlapped.error == stage + std::string(" failed at ") + std::to_string(at));
    }
}

TEST_CASE("of two failing stages, the earlier case's error comes back", "[pipeline]") {
  // The reader, ahead of the others, meets its failure first in time.
  const Outcome o = run_stages(true, 20, {{"read", 6}, {"compute", 4}});
  CHECK(o.error == "compute failed at 4");
  CHECK(o.written.size() == 4);
  const Outcome w = run_stages(true, 20, {{"write", 2}, {"read", 9}});
  CHECK(w.error == "write failed at 2");
  CHECK(w.written.size() == 2);
}

TEST_CASE("overlapped stages read and write beside the caller's thread, which computes",
          "[pipeline]") {
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id reader, computer, writer;
  std::atomic<int> started = 0;
  run_overlapped(
      3, {},
      [&](std::size_t k) {
        reader = std::this_thread::get_id();
        return k;
      },
      [&](std::size_t k) {
        computer = std::this_thread::get_id();
        return k;
      },
      [&](std::size_t) { writer = std::this_thread::get_id(); }, [&] { ++started; });
  CHECK(computer == caller);
  CHECK(reader != caller);
  CHECK(writer != caller);
  CHECK(reader != writer);
  CHECK(started == 2);  // once on each new thread
}
