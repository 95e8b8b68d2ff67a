// How cuDNN's algorithm is chosen, over made-up tables of what cuDNN offers, and the channel
// counts convolutions are planned with: the rules the GPU runs, checked without one.
#include <catch2/catch.hpp>

#include "layers/conv_algorithm.h"
#include "layers/conv_plans.h"
#include "runtime/error.h"

using namespace unet3d;

namespace {

AlgorithmResult result(int algo, float ms, ConvMath math = ConvMath::fma, bool deterministic = true,
                       std::size_t workspace = 1000) {
  return {algo, true, "CUDNN_STATUS_SUCCESS", ms, workspace, math, deterministic};
}

const AlgorithmRules kF32{true, false, std::size_t{1} << 30};
const AlgorithmRules kF16{false, false, std::size_t{1} << 30};
const AlgorithmRules kF16Deterministic{false, true, std::size_t{1} << 30};

int chosen(const std::vector<AlgorithmResult>& table, bool timed, const AlgorithmRules& rules) {
  return table[choose_algorithm(table, timed, rules, "test shape").index].algo;
}

}  // namespace

TEST_CASE("the fastest usable result wins a timed table", "[conv][algorithm]") {
  std::vector<AlgorithmResult> table{result(0, 2.0f), result(1, 0.5f), result(2, 0.7f)};
  CHECK(chosen(table, true, kF32) == 1);
  // Failed, over the workspace limit: passed over however fast.
  table[1].succeeded = false;
  table[1].status = "CUDNN_STATUS_NOT_SUPPORTED";
  CHECK(chosen(table, true, kF32) == 2);
  table[2].workspace_bytes = (std::size_t{1} << 30) + 1;
  CHECK(chosen(table, true, kF32) == 0);
  CHECK(refusal(table[2], kF32).find("over the limit") != std::string::npos);
  // Untimed (heuristic order): the first usable, whatever the times say.
  const std::vector<AlgorithmResult> heuristic{result(4, -1), result(5, -1)};
  CHECK(chosen(heuristic, false, kF32) == 4);
}

TEST_CASE("f32 takes FMA math only: TF32 is never chosen", "[conv][algorithm]") {
  const std::vector<AlgorithmResult> table{
      result(6, 0.1f, ConvMath::tensor_op), result(7, 0.2f, ConvMath::default_math),
      result(8, 0.3f, ConvMath::tensor_op_allow_conversion), result(9, 0.9f, ConvMath::fma)};
  CHECK(chosen(table, true, kF32) == 9);
  CHECK(refusal(table[1], kF32).find("TF32") != std::string::npos);
  CHECK(chosen(table, true, kF16) == 6);  // f16 takes tensor ops
  CHECK(choose_algorithm(table, true, kF32, "x").reason.find("Find") != std::string::npos);
}

TEST_CASE("deterministic rules skip non-deterministic results and ignore timings",
          "[conv][algorithm]") {
  const std::vector<AlgorithmResult> table{result(1, -1, ConvMath::tensor_op, false),
                                           result(0, -1, ConvMath::tensor_op, true),
                                           result(3, -1, ConvMath::tensor_op, true)};
  CHECK(chosen(table, false, kF16) == 1);  // default rules take the heuristics' first
  CHECK(chosen(table, false, kF16Deterministic) == 0);
  CHECK(refusal(table[0], kF16Deterministic) == "not deterministic");
  // Timing must not decide under deterministic rules: a timed table is refused outright.
  CHECK_THROWS_AS(choose_algorithm(table, true, kF16Deterministic, "x"), Error);
  CHECK_FALSE(worth_timing(1e12, kF16Deterministic));
  CHECK(worth_timing(1e12, kF16));
  CHECK_FALSE(worth_timing(1e6, kF16));  // a small convolution: heuristics
}

TEST_CASE("nothing usable is an error naming the shape and every refusal", "[conv][algorithm]") {
  std::vector<AlgorithmResult> table{result(0, 1.0f, ConvMath::tensor_op),
                                     result(1, 1.0f, ConvMath::fma, true, std::size_t{1} << 40)};
  table.push_back(result(2, 1.0f));
  table[2].succeeded = false;
  table[2].status = "CUDNN_STATUS_BAD_PARAM";
  try {
    choose_algorithm(table, true, kF32, "conv3d x [n=2 d=5] forward");
    FAIL("no error");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(e.kind() == ErrorKind::runtime);
    CHECK_THAT(message, Catch::Contains("conv3d x [n=2 d=5] forward"));
    CHECK_THAT(message, Catch::Contains("algo 0: TENSOR_OP_MATH on f32"));
    CHECK_THAT(message, Catch::Contains("algo 1: workspace"));
    CHECK_THAT(message, Catch::Contains("algo 2: status CUDNN_STATUS_BAD_PARAM"));
  }
  CHECK_THROWS_AS(choose_algorithm({}, false, kF32, "empty"), Error);
}

TEST_CASE("f16 channel counts are planned in multiples of 8", "[conv][algorithm]") {
  // The first layer's single input channel, the head's classes, the tests' 3 and 13.
  CHECK(planned_channels({32, 3, 3, 3, 1}, DType::f16, false) == ConvChannels{8, 32});
  CHECK(planned_channels({6, 1, 1, 1, 32}, DType::f16, false) == ConvChannels{32, 8});
  CHECK(planned_channels({13, 3, 3, 3, 3}, DType::f16, false) == ConvChannels{8, 16});
  CHECK(planned_channels({64, 3, 3, 3, 64}, DType::f16, false) == ConvChannels{64, 64});
  // f32 as it is, unless cuDNN refused it so.
  CHECK(planned_channels({13, 3, 3, 3, 3}, DType::f32, false) == ConvChannels{3, 13});
  CHECK(planned_channels({13, 3, 3, 3, 3}, DType::f32, true) == ConvChannels{8, 16});
}

namespace {

// Stand-ins for cuDNN's layout and choice: what was laid out, and the calls made.
struct FakeLayout {
  ConvChannels channels;
};
struct FakeChoice {
  ConvDirection direction;
  ConvChannels channels;
};

struct Recorder {
  int layouts = 0;
  std::vector<ConvDirection> chosen;
  bool refuse_unpadded = false;  // cuDNN offers nothing for channel counts as they are
  bool refuse_all = false;

  ConvPlans<FakeLayout, FakeChoice> plans() {
    return {[this](const ConvKey& k, bool refused_as_is) {
              ++layouts;
              return FakeLayout{planned_channels(k.w, k.dtype, refused_as_is)};
            },
            [this](FakeLayout& l, const ConvKey& k, ConvDirection d) {
              const bool as_is = l.channels == ConvChannels{k.w.c, k.w.n};
              if (refuse_all || (refuse_unpadded && as_is))
                throw Error(ErrorKind::runtime, "cuDNN offers no usable algorithm");
              chosen.push_back(d);
              return FakeChoice{d, l.channels};
            }};
  }
};

const Shape kX{2, 8, 8, 8, 3}, kW{13, 3, 3, 3, 3};

}  // namespace

TEST_CASE("plans are made per shape, each direction when first used", "[conv][algorithm]") {
  Recorder r;
  auto plans = r.plans();
  const ConvKey key{kX, kW, DType::f32, false};
  // Inference: the forward only, planned once however often it runs.
  for (int i = 0; i < 3; ++i)
    CHECK(plans.get(key, ConvDirection::forward).choice.direction == ConvDirection::forward);
  CHECK(r.chosen == std::vector<ConvDirection>{ConvDirection::forward});
  // A first layer in training: forward and weights, never the data gradient.
  plans.get(key, ConvDirection::backward_filter);
  CHECK(r.chosen.size() == 2);
  CHECK(plans.cost().plans == 1);
  CHECK(plans.cost().directions == 2);
  CHECK(r.layouts == 1);
  // Another dtype or determinism is another plan.
  plans.get({kX, kW, DType::f32, true}, ConvDirection::forward);
  plans.get({kX, kW, DType::f16, false}, ConvDirection::forward);
  CHECK(plans.cost().plans == 3);
  CHECK(plans.get({kX, kW, DType::f16, false}, ConvDirection::forward).layout.channels ==
        ConvChannels{8, 16});
}

TEST_CASE("f32 channels cuDNN refuses as they are are padded and planned again",
          "[conv][algorithm]") {
  Recorder r;
  r.refuse_unpadded = true;
  auto plans = r.plans();
  const auto planned = plans.get({kX, kW, DType::f32, false}, ConvDirection::backward_data);
  CHECK(planned.layout.channels == ConvChannels{8, 16});
  CHECK(planned.choice.channels == ConvChannels{8, 16});
  CHECK(plans.cost().relayouts == 1);
  CHECK(r.layouts == 2);
  // Refused in every layout, or where padding would change nothing: the error reaches the caller.
  Recorder none;
  none.refuse_all = true;
  auto refusing = none.plans();
  CHECK_THROWS_AS(refusing.get({kX, kW, DType::f32, false}, ConvDirection::forward), Error);
  CHECK_THROWS_AS(refusing.get({kX, kW, DType::f16, false}, ConvDirection::forward), Error);
  CHECK(none.layouts == 3);  // f32 as it is, f32 padded, f16 (already padded)
}

TEST_CASE("the cuDNN probe falls back as the plans do, and records each layout's error",
          "[conv][algorithm]") {
  // f32, 3 -> 13 channels: refused as they are (an error, as CUDNN_STATUS_NOT_SUPPORTED is),
  // then usable padded to 8 -> 16.
  std::vector<ConvChannels> tried;
  const auto refuse_unpadded = [&](const ConvKey& key) {
    return [&, key](bool refused_as_is) {
      tried.push_back(planned_channels(key.w, key.dtype, refused_as_is));
      if (!refused_as_is) throw Error(ErrorKind::runtime, "CUDNN_STATUS_NOT_SUPPORTED");
      return true;
    };
  };
  const ConvKey f32{kX, kW, DType::f32, false};
  const std::vector<ProbeAttempt> a = probe_layouts(f32, refuse_unpadded(f32));
  REQUIRE(a.size() == 2);
  CHECK((!a[0].padded && !a[0].usable && a[0].error == "CUDNN_STATUS_NOT_SUPPORTED"));
  CHECK((a[1].padded && a[1].usable && a[1].error.empty()));
  CHECK(tried == std::vector<ConvChannels>{{3, 13}, {8, 16}});
  // Usable as planned: one attempt. f16 (padded from the start): one attempt even when refused.
  CHECK(probe_layouts(f32, [](bool) { return true; }).size() == 1);
  const ConvKey f16{kX, kW, DType::f16, false};
  const std::vector<ProbeAttempt> b = probe_layouts(f16, [](bool) { return false; });
  REQUIRE(b.size() == 1);
  CHECK((!b[0].usable && b[0].error.empty()));
  // Refused both ways: both attempts recorded, nothing thrown.
  CHECK(probe_layouts(f32, [](bool) -> bool { throw Error(ErrorKind::runtime, "no"); }).size() ==
        2);
}
