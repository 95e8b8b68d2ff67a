// The optimizers (Adam, AdamW, SGD), loss scaling and whole training steps on the CPU.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "kernels/elementwise.h"
#include "kernels/step_control.h"
#include "layers/train_step.h"
#include "tests/support/phantom.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

namespace {

// A store of one 3-element parameter.
ParameterStore single_parameter(DType dtype) {
  return ParameterStore({{"w", Shape::vector(3), ParameterLayout::vector, true, 0.0, 0.0}},
                        Device::cpu, dtype, false);
}

// A scaler whose scale stays `scale` (a power of two) for the few steps a test takes.
LossScaler scaler_at(double scale) {
  LossScaler scaler(true, Device::cpu);
  scaler.restore(scale, 0, 0);
  return scaler;
}

}  // namespace

TEST_CASE("Adam follows torch.optim.Adam step by step", "[adam]") {
  for (const double decay : {0.0, 0.01}) {
    ParameterStore p = single_parameter(DType::f64);
    const double start[3] = {0.5, -1.0, 2.0};
    for (int i = 0; i < 3; ++i) p.value(0).data_as<double>()[i] = start[i];
    Optimizer adam(p, {0.1, 0.9, 0.999, 1e-8, decay});
    LossScaler scaler = scaler_at(8.0);
    double w[3] = {0.5, -1.0, 2.0}, m[3] = {}, v[3] = {};
    for (int t = 1; t <= 4; ++t) {
      const double grads[3] = {0.3 * t, -0.7, 1e-3 / t};
      for (int i = 0; i < 3; ++i) p.grad(0).data_as<double>()[i] = 8 * grads[i];  // scaled by 8
      adam.step(scaler);
      REQUIRE(adam.steps() == t);
      for (int i = 0; i < 3; ++i) {  // the reference, written out
        const double g = grads[i] + decay * w[i];
        m[i] = 0.9 * m[i] + 0.1 * g;
        v[i] = 0.999 * v[i] + 0.001 * g * g;
        const double mhat = m[i] / (1 - std::pow(0.9, t)), vhat = v[i] / (1 - std::pow(0.999, t));
        w[i] -= 0.1 * mhat / (std::sqrt(vhat) + 1e-8);
        CHECK(p.value(0).data_as<double>()[i] == Approx(w[i]).epsilon(1e-12));
        CHECK(p.grad(0).data_as<double>()[i] == 0.0);  // zeroed for the next accumulation
      }
    }
    CHECK(adam.steps() == 4);
  }
}

TEST_CASE("AdamW follows torch.optim.AdamW step by step", "[adam]") {
  ParameterStore p = single_parameter(DType::f64);
  const double start[3] = {0.5, -1.0, 2.0};
  for (int i = 0; i < 3; ++i) p.value(0).data_as<double>()[i] = start[i];
  Optimizer adamw(p, {0.1, 0.9, 0.999, 1e-8, 0.05, OptimizerKind::adamw});
  LossScaler scaler = scaler_at(4.0);
  double w[3] = {0.5, -1.0, 2.0}, m[3] = {}, v[3] = {};
  for (int t = 1; t <= 4; ++t) {
    const double grads[3] = {0.3 * t, -0.7, 1e-3 / t};
    for (int i = 0; i < 3; ++i) p.grad(0).data_as<double>()[i] = 4 * grads[i];  // scaled by 4
    adamw.step(scaler);
    REQUIRE(adamw.steps() == t);
    for (int i = 0; i < 3;
         ++i) {  // the reference, written out: decay on the value, not the gradient
      w[i] *= 1 - 0.1 * 0.05;
      m[i] = 0.9 * m[i] + 0.1 * grads[i];
      v[i] = 0.999 * v[i] + 0.001 * grads[i] * grads[i];
      const double mhat = m[i] / (1 - std::pow(0.9, t)), vhat = v[i] / (1 - std::pow(0.999, t));
      w[i] -= 0.1 * mhat / (std::sqrt(vhat) + 1e-8);
      CHECK(p.value(0).data_as<double>()[i] == Approx(w[i]).epsilon(1e-12));
    }
  }
}

TEST_CASE("SGD follows torch.optim.SGD(nesterov=True) step by step", "[adam]") {
  for (const double decay : {0.0, 0.01}) {
    ParameterStore p = single_parameter(DType::f64);
    const double start[3] = {0.5, -1.0, 2.0};
    for (int i = 0; i < 3; ++i) p.value(0).data_as<double>()[i] = start[i];
    Optimizer sgd(p, {0.1, 0.9, 0.999, 1e-8, decay, OptimizerKind::sgd, 0.9});
    LossScaler scaler = scaler_at(2.0);
    CHECK(sgd.state().size() == 1);
    double w[3] = {0.5, -1.0, 2.0}, buffer[3] = {};
    for (int t = 1; t <= 4; ++t) {
      const double grads[3] = {0.3 * t, -0.7, 1e-3 / t};
      for (int i = 0; i < 3; ++i) p.grad(0).data_as<double>()[i] = 2 * grads[i];  // scaled by 2
      sgd.step(scaler);
      REQUIRE(sgd.steps() == t);
      for (int i = 0; i < 3; ++i) {  // the reference, written out
        const double d = grads[i] + decay * w[i];
        buffer[i] = t == 1 ? d : 0.9 * buffer[i] + d;
        w[i] -= 0.1 * (d + 0.9 * buffer[i]);
        CHECK(p.value(0).data_as<double>()[i] == Approx(w[i]).epsilon(1e-12));
        CHECK(p.grad(0).data_as<double>()[i] == 0.0);
      }
    }
    CHECK(sgd.steps() == 4);
  }
}

TEST_CASE("an inf or NaN gradient skips the step and leaves everything as it was", "[adam]") {
  for (const OptimizerKind kind : {OptimizerKind::adam, OptimizerKind::sgd}) {
    INFO(optimizer_word(kind));
    ParameterStore p = single_parameter(DType::f32);
    Tensor values = p.values(), grads = p.grads();
    fill({values, 1.0});
    OptimizerOptions options;
    options.kind = kind;
    Optimizer optimizer(p, options);
    LossScaler scaler(true, Device::cpu);
    fill({grads, 0.5});
    optimizer.step(scaler);
    REQUIRE(optimizer.steps() == 1);
    const std::vector<double> before = to_doubles(p.values());
    std::vector<std::vector<double>> state_before;
    for (auto& [name, tensor] : optimizer.state()) state_before.push_back(to_doubles(*tensor));
    p.grad(0).data_as<float>()[1] = kind == OptimizerKind::adam ? INFINITY : NAN;
    optimizer.step(scaler);
    CHECK(optimizer.steps() == 1);
    CHECK(to_doubles(p.values()) == before);
    std::size_t k = 0;
    for (auto& [name, tensor] : optimizer.state()) CHECK(to_doubles(*tensor) == state_before[k++]);
    CHECK(to_doubles(p.grad(0)) == std::vector<double>{0, 0, 0});
    CHECK(scaler.scale() == kInitialLossScale / 2);
    CHECK(scaler.skipped_steps() == 1);
  }
}

TEST_CASE("the loss scaler follows GradScaler's defaults through the optimizer's steps", "[adam]") {
  ParameterStore p = single_parameter(DType::f32);
  Tensor grads = p.grads();
  Optimizer adam(p, {});
  LossScaler scaler(true, Device::cpu), off(false, Device::cpu);
  CHECK(scaler.scale() == 65536.0);
  const auto step_with = [&](LossScaler& s, bool overflow) {
    fill({grads, overflow ? INFINITY : 1.0});
    adam.step(s);
  };
  step_with(scaler, true);
  CHECK(scaler.scale() == 32768.0);
  CHECK(adam.steps() == 0);
  for (int i = 0; i < 1999; ++i) step_with(scaler, false);
  CHECK(scaler.scale() == 32768.0);
  CHECK(scaler.growth_tracker() == 1999);
  step_with(scaler, false);
  CHECK(scaler.scale() == 65536.0);
  CHECK(scaler.growth_tracker() == 0);
  CHECK(scaler.skipped_steps() == 1);
  CHECK(adam.steps() == 2000);
  step_with(off, true);
  CHECK(off.scale() == 1.0);
  CHECK(off.skipped_steps() == 1);
  CHECK(adam.steps() == 2000);
}

TEST_CASE("the step's device-side bookkeeping, as one thread runs it on either backend", "[adam]") {
  // counters [inf/NaN count, steps taken]; scaler [scale, growth tracker, skipped].
  double counters[kOptimizerCounters] = {0, 4}, scaler[kScalerValues] = {1024, 1999, 3};
  double k[kStepCoefficients];
  step_coefficients(counters, scaler, {true, 0.1, 0.9, 0.999}, k);
  CHECK(k[kSkipStep] == 0);
  CHECK(k[kStepFactorA] == 0.1 / (1 - std::pow(0.9, 5)));
  CHECK(k[kStepFactorB] == std::sqrt(1 - std::pow(0.999, 5)));
  CHECK(k[kGradScale] == 1.0 / 1024);
  step_coefficients(counters, scaler, {false, 0.1, 0.9, 0.999}, k);
  CHECK(k[kStepFactorA] == 0);  // SGD: not its first step
  finish_step(counters, scaler, true);
  CHECK((counters[kStepsTaken] == 5 && scaler[kLossScale] == 2048 && scaler[kGrowthTracker] == 0));
  counters[kNonfinite] = 7;
  step_coefficients(counters, scaler, {true, 0.1, 0.9, 0.999}, k);
  CHECK(k[kSkipStep] == 1);
  finish_step(counters, scaler, true);
  CHECK((counters[kStepsTaken] == 5 && scaler[kLossScale] == 1024 && scaler[kSkippedSteps] == 4));
  finish_step(counters, scaler, false);  // disabled: the scale stays, the skip is counted
  CHECK((scaler[kLossScale] == 1024 && scaler[kSkippedSteps] == 5));
}

TEST_CASE("accumulating two half-weighted micro-batches gives the one-batch gradient",
          "[training]") {
  std::vector<double> grads[2];
  for (const int accum : {1, 2}) {
    UNet3D net({1, 3, 2, 2}, Device::cpu, Precision::f32, 2, 16);
    net.parameters().initialize(4);
    Optimizer adam(net.parameters(), {});
    LossScaler scaler(false, Device::cpu);
    TrainingStep step(net, adam, scaler, {LossKind::dice}, nullptr, accum);
    Tensor image = net.input(), labels = step.labels();
    fill_phantom(image, labels, 5);
    for (int i = 0; i < accum; ++i) step.micro_batch();
    grads[accum - 1] = to_doubles(net.parameters().grads());
  }
  CHECK(compare(grads[1], grads[0], tolerance(Check::parity_f32)).ok);
}

TEST_CASE("dicece is the Dice loss plus cross-entropy, in value and gradient", "[training][loss]") {
  // One network and batch per loss, the same weights and data: dicece's loss and gradients are
  // the sums of the two losses' own.
  double values[3];
  std::vector<double> grads[3];
  const LossKind kinds[3] = {LossKind::dicece, LossKind::dice, LossKind::ce};
  for (int k = 0; k < 3; ++k) {
    UNet3D net({1, 3, 2, 2}, Device::cpu, Precision::f32, 2, 16);
    net.parameters().initialize(8);
    Optimizer adam(net.parameters(), {});
    LossScaler scaler(false, Device::cpu);
    TrainingStep step(net, adam, scaler, {kinds[k], true}, nullptr, 1);
    Tensor image = net.input(), labels = step.labels();
    fill_phantom(image, labels, 9);
    step.micro_batch();
    values[k] = step.last_loss();
    grads[k] = to_doubles(net.parameters().grads());
  }
  CHECK(values[0] == Approx(values[1] + values[2]).epsilon(1e-6));
  CHECK(values[2] > 0.1);  // both terms matter
  std::vector<double> sum(grads[1].size());
  for (std::size_t i = 0; i < sum.size(); ++i) sum[i] = grads[1][i] + grads[2][i];
  // f32: one backward pass of the summed gradient against two passes, summed.
  CHECK(compare(grads[0], sum, tolerance(Check::parity_f32)).ok);
}

TEST_CASE("a training step allocates nothing once the first has run", "[training]") {
  UNet3D net({1, 3, 2, 2}, Device::cpu, Precision::f32, 2, 16);
  net.parameters().initialize(1);
  Optimizer adam(net.parameters(), {});
  LossScaler scaler(false, Device::cpu);
  const Tensor weights = random_tensor(Shape::vector(3), DType::f32, 2, 0.5f, 2.0f);
  TrainingStep step(net, adam, scaler, {LossKind::combined}, &weights, 2);
  Tensor image = net.input(), labels = step.labels();
  fill_phantom(image, labels, 3);
  step.micro_batch();
  step.micro_batch();
  step.apply();
  const std::int64_t before = memory_stats().allocations;
  for (int i = 0; i < 3; ++i) {
    step.micro_batch();
    step.micro_batch();
    step.apply();
  }
  step.evaluate();
  CHECK(memory_stats().allocations == before);
}

TEST_CASE("training on one fixed batch drives the loss down", "[training]") {
  UNet3D net({1, 3, 4, 2}, Device::cpu, Precision::f32, 2, 16);
  net.parameters().initialize(11);
  Optimizer adam(net.parameters(), {3e-2});
  LossScaler scaler(false, Device::cpu);
  TrainingStep step(net, adam, scaler, {LossKind::dice}, nullptr, 1);
  Tensor image = net.input(), labels = step.labels();
  fill_phantom(image, labels, 12);
  double first = 0, last = 0;
  for (int i = 0; i < 30; ++i) {
    step.micro_batch();
    last = step.last_loss();
    if (i == 0) first = last;
    step.apply();
  }
  CHECK(adam.steps() == 30);
  std::printf("overfit: Dice loss %.4f at step 1, %.4f at step 30\n", first, last);
  CHECK(last < 0.5 * first);
}
