// The learning-rate schedules against their formulas written out by hand.
#include <catch2/catch.hpp>
#include <cmath>

#include "layers/lr_schedule.h"
#include "runtime/error.h"

using namespace unet3d;

TEST_CASE("constant, poly and cosine rates follow their formulas", "[schedule]") {
  for (std::int64_t e = 0; e < 10; ++e)
    CHECK(epoch_lr(LrSchedule::constant, 0.01, e, 10, 0) == 0.01);
  // poly, as nnU-Net: lr (1 - e/E)^0.9.
  CHECK(epoch_lr(LrSchedule::poly, 0.01, 0, 10, 0) == 0.01);
  CHECK(epoch_lr(LrSchedule::poly, 0.01, 5, 10, 0) == Approx(0.01 * std::pow(0.5, 0.9)));
  CHECK(epoch_lr(LrSchedule::poly, 0.01, 9, 10, 0) == Approx(0.01 * std::pow(0.1, 0.9)));
  // cosine without warm-up: lr at e = 0, half of it a quarter... at e = E/2.
  CHECK(epoch_lr(LrSchedule::cosine, 0.02, 0, 8, 0) == Approx(0.02));
  CHECK(epoch_lr(LrSchedule::cosine, 0.02, 4, 8, 0) == Approx(0.01));
  CHECK(epoch_lr(LrSchedule::cosine, 0.02, 6, 8, 0) ==
        Approx(0.02 * 0.5 * (1 + std::cos(M_PI * 0.75))));
  // With a warm-up of 2 epochs over 10: 0, lr/2, then the cosine over the remaining 8.
  CHECK(epoch_lr(LrSchedule::cosine, 0.02, 0, 10, 2) == 0.0);
  CHECK(epoch_lr(LrSchedule::cosine, 0.02, 1, 10, 2) == Approx(0.01));
  CHECK(epoch_lr(LrSchedule::cosine, 0.02, 2, 10, 2) == Approx(0.02));
  CHECK(epoch_lr(LrSchedule::cosine, 0.02, 6, 10, 2) == Approx(0.01));
  // Every rate decays monotonically after the warm-up.
  for (const LrSchedule s : {LrSchedule::poly, LrSchedule::cosine})
    for (std::int64_t e = 3; e < 20; ++e)
      CHECK(epoch_lr(s, 1, e, 20, 2) < epoch_lr(s, 1, e - 1, 20, 2) + 1e-15);
}

TEST_CASE("a schedule's name is parsed, and an unknown one names the flag", "[schedule]") {
  CHECK(parse_lr_schedule("poly", "--lr-schedule") == LrSchedule::poly);
  CHECK(parse_lr_schedule("cosine", "--lr-schedule") == LrSchedule::cosine);
  CHECK_THROWS_WITH(parse_lr_schedule("step", "--lr-schedule"), Catch::Contains("--lr-schedule"));
}
