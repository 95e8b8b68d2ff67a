// The optimizers (Adam, AdamW, SGD), loss scaling and whole training steps on the CPU.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "kernels/elementwise.h"
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

}  // namespace

TEST_CASE("Adam follows torch.optim.Adam step by step", "[adam]") {
  for (const double decay : {0.0, 0.01}) {
    ParameterStore p = single_parameter(DType::f64);
    const double start[3] = {0.5, -1.0, 2.0};
    for (int i = 0; i < 3; ++i) p.value(0).data_as<double>()[i] = start[i];
    Optimizer adam(p, {0.1, 0.9, 0.999, 1e-8, decay});
    double w[3] = {0.5, -1.0, 2.0}, m[3] = {}, v[3] = {};
    for (int t = 1; t <= 4; ++t) {
      const double grads[3] = {0.3 * t, -0.7, 1e-3 / t};
      for (int i = 0; i < 3; ++i) p.grad(0).data_as<double>()[i] = 8 * grads[i];  // scaled by 8
      REQUIRE(adam.step(8.0));
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
  double w[3] = {0.5, -1.0, 2.0}, m[3] = {}, v[3] = {};
  for (int t = 1; t <= 4; ++t) {
    const double grads[3] = {0.3 * t, -0.7, 1e-3 / t};
    for (int i = 0; i < 3; ++i) p.grad(0).data_as<double>()[i] = 4 * grads[i];  // scaled by 4
    REQUIRE(adamw.step(4.0));
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
    CHECK(sgd.state().size() == 1);
    double w[3] = {0.5, -1.0, 2.0}, buffer[3] = {};
    for (int t = 1; t <= 4; ++t) {
      const double grads[3] = {0.3 * t, -0.7, 1e-3 / t};
      for (int i = 0; i < 3; ++i) p.grad(0).data_as<double>()[i] = 2 * grads[i];  // scaled by 2
      REQUIRE(sgd.step(2.0));
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
  ParameterStore p = single_parameter(DType::f32);
  Tensor values = p.values(), grads = p.grads();
  fill(values, 1.0);
  Optimizer adam(p, {});
  fill(grads, 0.5);
  REQUIRE(adam.step(1.0));
  const std::vector<double> before = to_doubles(p.values());
  p.grad(0).data_as<float>()[1] = INFINITY;
  CHECK_FALSE(adam.step(1.0));
  CHECK(adam.steps() == 1);
  CHECK(to_doubles(p.values()) == before);
  CHECK(to_doubles(p.grad(0)) == std::vector<double>{0, 0, 0});
}

TEST_CASE("the loss scaler follows GradScaler's defaults", "[adam]") {
  LossScaler scaler(true);
  CHECK(scaler.scale() == 65536.0);
  scaler.update(true);
  CHECK(scaler.scale() == 32768.0);
  for (int i = 0; i < 1999; ++i) scaler.update(false);
  CHECK(scaler.scale() == 32768.0);
  scaler.update(false);
  CHECK(scaler.scale() == 65536.0);
  CHECK(scaler.skipped_steps() == 1);
  LossScaler off(false);
  off.update(true);
  CHECK(off.scale() == 1.0);
}

TEST_CASE("accumulating two half-weighted micro-batches gives the one-batch gradient",
          "[training]") {
  std::vector<double> grads[2];
  for (const int accum : {1, 2}) {
    UNet3D net({1, 3, 2, 2}, Device::cpu, Precision::f32, 2, 16);
    net.parameters().initialize(4);
    Optimizer adam(net.parameters(), {});
    LossScaler scaler(false);
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
    LossScaler scaler(false);
    TrainingStep step(net, adam, scaler, {kinds[k], true}, nullptr, 1);
    Tensor image = net.input(), labels = step.labels();
    fill_phantom(image, labels, 9);
    values[k] = step.micro_batch();
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
  LossScaler scaler(false);
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
  LossScaler scaler(false);
  TrainingStep step(net, adam, scaler, {LossKind::dice}, nullptr, 1);
  Tensor image = net.input(), labels = step.labels();
  fill_phantom(image, labels, 12);
  double first = 0, last = 0;
  for (int i = 0; i < 30; ++i) {
    last = step.micro_batch();
    if (i == 0) first = last;
    REQUIRE(step.apply());
  }
  std::printf("overfit: Dice loss %.4f at step 1, %.4f at step 30\n", first, last);
  CHECK(last < 0.5 * first);
}
