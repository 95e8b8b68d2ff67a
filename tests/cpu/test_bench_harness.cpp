// The bench harness refuses to time a kernel that disagrees with its reference, rotates a timed
// kernel through copies of its operands, checks at a small size what it times at the full one,
// and reports the cases past the run's time limit "not run".
#include <catch2/catch.hpp>
#include <set>
#include <vector>

#include "bench/harness.h"
#include "kernels/elementwise.h"
#include "runtime/half.h"

using namespace unet3d;
using namespace unet3d::bench;

namespace {

const Shape kShape{1, 4, 5, 6, 3};

Tensors one_input() {
  Tensors inputs;
  inputs.push_back(random_tensor(kShape, DType::f32, 7));
  return inputs;
}

}  // namespace

TEST_CASE("bench refuses to time a kernel that does not match the reference", "[bench]") {
  Harness h(Device::cpu, ".", 0.0);
  const Op correct = [](const Tensors& i, Tensors& o) { relu_forward({i[0], o[0]}); };
  // Right everywhere but in the last element, which it leaves unwritten.
  const Op skips_last = [](const Tensors& i, Tensors& o) {
    Tensor all(o[0].shape(), o[0].dtype());
    relu_forward({i[0], all});
    const std::int64_t n = all.numel();
    std::copy(all.data_as<float>(), all.data_as<float>() + n - 1, o[0].data_as<float>());
  };
  h.add({"faulty relu", 1, 0, one_input(), {{kShape, DType::f32}}, skips_last, correct});
  h.add({"relu", 1, 0, one_input(), {{kShape, DType::f32}}, correct, {}});
  REQUIRE(h.results().size() == 2);
  const Result& faulty = h.results()[0];
  CHECK_FALSE(faulty.timed());
  CHECK(faulty.ms == 0);
  CHECK(faulty.check.find("MISMATCH") != std::string::npos);
  CHECK(h.results()[1].timed());
  CHECK(h.results()[1].ms > 0);
  CHECK(h.refused() == 1);
}

TEST_CASE("bench rotates a kernel through copies of its operands", "[bench]") {
  Harness h(Device::cpu, ".", 0.0);
  std::vector<const void*> outputs_written;  // in call order
  const Op recording = [&](const Tensors& i, Tensors& o) {
    outputs_written.push_back(o[0].data());
    relu_forward({i[0], o[0]});
  };
  h.add({"relu", 1, 0, one_input(), {{kShape, DType::f32}}, recording, {}});
  const Result& r = h.results().at(0);
  REQUIRE(r.timed());
  const auto set_bytes = static_cast<std::size_t>(2 * kShape.numel() * 4);
  CHECK((static_cast<std::size_t>(r.copies) * set_bytes >= h.rotation_bytes() ||
         static_cast<std::size_t>(r.copies) == kMaxOperandCopies));
  // The check's two runs (the reference in f64, then the kernel), then two warm-ups and five
  // timed runs (min_seconds 0), each on its own copy while there are copies enough.
  REQUIRE(outputs_written.size() == 2 + 7);
  const std::set<const void*> timed(outputs_written.begin() + 2, outputs_written.end());
  CHECK(timed.size() == std::min<std::size_t>(static_cast<std::size_t>(r.copies), 7));
}

TEST_CASE("bench skips unselected cases", "[bench]") {
  Harness h(Device::cpu, "^conv", 0.0);
  CHECK(h.selected("conv3d forward"));
  CHECK_FALSE(h.selected("relu forward"));
  h.add({"relu",
         1,
         0,
         one_input(),
         {{kShape, DType::f32}},
         [](const Tensors& i, Tensors& o) {
           relu_forward({i[0], o[0]});
         },
         {}});
  CHECK(h.results().empty());
}

TEST_CASE("bench judges each output by its own precision", "[bench]") {
  Harness h(Device::cpu, ".", 0.0);
  // Both write relu into an f32 output and its f16 copy, then set element 3 of output `which`
  // to 0.5 + delta: the reference one f16 step (2^-11 near 0.5) away from the kernel.
  const auto relu_both = [](int which, float delta) {
    return Op([=](const Tensors& i, Tensors& o) {
      relu_forward({i[0], o[0]});
      cast({o[0], o[1]});
      if (which == 0) o[0].data_as<float>()[3] = 0.5f + delta;
      if (which == 1) o[1].data_as<Half>()[3] = to_half(0.5f + delta);
    });
  };
  const std::vector<OutputSpec> outputs{{kShape, DType::f32}, {kShape, DType::f16}};
  h.add({"f16 output one step off", 1, 0, one_input(), outputs, relu_both(1, 0),
         relu_both(1, 1.0f / 2048)});
  h.add({"f32 output as far off", 1, 0, one_input(), outputs, relu_both(0, 0),
         relu_both(0, 1.0f / 2048)});
  REQUIRE(h.results().size() == 2);
  CHECK(h.results()[0].timed());
  CHECK_FALSE(h.results()[1].timed());
}

TEST_CASE("bench's mixed-precision Adam case passes its check", "[bench]") {
  // The case a GPU runs in mixed precision: f32 state and the f16 copy of the weights, whose
  // rounding on the card may land on the other f16 neighbour of the f64 reference's (the test
  // above shows that such a copy is held to f16 bounds). Here it must simply pass.
  Harness h(Device::cpu, "adam", 0.0);
  for (const OpDescription& d : op_descriptions())
    if (h.selected(d.name)) h.add(d.make({{1, 8, 8, 8, 1}, 4, 6, 1 << 20, DType::f16, DType::f32}));
  REQUIRE(h.results().size() == 1);
  INFO(h.results()[0].check);
  CHECK(h.results()[0].timed());
}

TEST_CASE("bench checks a case at a small size and times it at the full one", "[bench]") {
  Harness h(Device::cpu, ".", 0.0);
  const Shape full_shape{1, 20, 22, 24, 3};
  std::vector<std::int64_t> sizes;  // of every run's output, in call order
  const Op relu = [&](const Tensors& i, Tensors& o) {
    sizes.push_back(o[0].numel());
    relu_forward({i[0], o[0]});
  };
  const auto full = [&] {
    Tensors inputs;
    inputs.push_back(random_tensor(full_shape, DType::f32, 8));
    return OpCase{"relu",
                  8.0 * static_cast<double>(full_shape.numel()),
                  0,
                  std::move(inputs),
                  std::vector<OutputSpec>{{full_shape, DType::f32}},
                  relu,
                  {}};
  };
  h.add({"relu", 1, 0, one_input(), {{kShape, DType::f32}}, relu, {}}, full);
  const Result& r = h.results().at(0);
  REQUIRE(r.timed());
  CHECK(r.bytes == 8.0 * static_cast<double>(full_shape.numel()));
  CHECK(r.check.find("checked at a small size") != std::string::npos);
  // The check's two runs at the small size (reference, kernel), then every timed run at the
  // full size.
  REQUIRE(sizes.size() > 2);
  CHECK(sizes[0] == kShape.numel());
  CHECK(sizes[1] == kShape.numel());
  for (std::size_t k = 2; k < sizes.size(); ++k) CHECK(sizes[k] == full_shape.numel());
}

TEST_CASE("past the run's time limit bench reports each case not run, and says so as it goes",
          "[bench]") {
  Harness h(Device::cpu, ".", 0.0, 1e-9);  // already past
  int calls = 0, reported = 0;
  h.on_result([&](const Result&) { ++reported; });
  h.add({"relu",
         1,
         0,
         one_input(),
         {{kShape, DType::f32}},
         [&](const Tensors& i, Tensors& o) {
           ++calls;
           relu_forward({i[0], o[0]});
         },
         {}});
  h.add_unchecked(
      "a step", 0, 1, [&] { ++calls; }, "nothing");
  REQUIRE(h.results().size() == 2);
  for (const Result& r : h.results()) {
    CHECK(r.outcome == Outcome::not_run);
    CHECK(r.repetitions == 0);
  }
  CHECK(calls == 0);
  CHECK(reported == 2);
  CHECK(h.refused() == 0);
}
