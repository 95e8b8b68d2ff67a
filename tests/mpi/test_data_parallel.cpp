// Data-parallel training across the ranks of mpirun (tests/CMakeLists.txt starts 2): sums that
// are the same bits on every rank, rank 0's weights handed to all, and after k steps on
// different data every rank's parameters identical bit for bit, the averaged gradient being the
// mean of the ranks' own; the global batch's loss with --sync-bn against one process holding
// the whole batch, in f64; buckets begun during backward; a validation shared between the
// ranks; and a stop agreed by all.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/elementwise.h"
#include "layers/data_parallel.h"
#include "layers/train_step.h"
#include "runtime/communicator.h"
#include "runtime/interrupt.h"
#include "tests/support/phantom.h"
#include "tools/run/run_ranks.h"
#include "verify/compare.h"

using namespace unet3d;

namespace {

Communicator& world() {
  return Communicator::world();
}

// Rank 0's copy of `bytes` on every rank, to compare one's own with.
std::vector<unsigned char> rank0_copy(const void* data, std::size_t bytes) {
  std::vector<unsigned char> copy(static_cast<const unsigned char*>(data),
                                  static_cast<const unsigned char*>(data) + bytes);
  world().broadcast(copy.data(), bytes);
  return copy;
}

bool same_as_rank0(const Tensor& t) {
  const Tensor host = t.to(Device::cpu);
  return std::memcmp(rank0_copy(host.data(), host.bytes()).data(), host.data(), host.bytes()) == 0;
}

// Every rank's values of `mine`, rank after rank.
std::vector<std::vector<double>> all_ranks(const std::vector<double>& mine) {
  std::vector<std::vector<double>> out;
  for (int r = 0; r < world().size(); ++r) {
    std::vector<double> theirs = mine;
    world().broadcast(theirs.data(), theirs.size() * sizeof(double), r);
    out.push_back(std::move(theirs));
  }
  return out;
}

}  // namespace

TEST_CASE("a sum over the ranks is the same bits on every rank", "[mpi]") {
  const int rank = world().rank();
  std::vector<float> x(1000);
  std::vector<double> y(1000);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = 0.1f * static_cast<float>(i) / static_cast<float>(rank + 3),
    y[i] = 1.0 / static_cast<double>(i + 1 + 7 * rank);
  world().sum(x.data(), x.size());
  world().sum(y.data(), y.size());
  CHECK(std::memcmp(rank0_copy(x.data(), x.size() * sizeof(float)).data(), x.data(),
                    x.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(rank0_copy(y.data(), y.size() * sizeof(double)).data(), y.data(),
                    y.size() * sizeof(double)) == 0);
  for (std::size_t i = 0; i < y.size(); i += 97) {
    double expected = 0;
    for (int r = 0; r < world().size(); ++r) expected += 1.0 / static_cast<double>(i + 1 + 7 * r);
    CHECK(y[i] == Approx(expected).epsilon(1e-14));
  }
}

TEST_CASE("after k steps on different data every rank holds the same weights bit for bit",
          "[mpi][data_parallel]") {
  UNet3D net({1, 3, 4, 2}, Device::cpu, Precision::f32, 2, 8);
  ParameterStore& p = net.parameters();
  p.initialize(static_cast<std::uint64_t>(11 + world().rank()));  // different until broadcast
  GradientAverager averager(p, world());
  averager.broadcast_parameters();
  CHECK(same_as_rank0(p.values()));   // CHECK, not REQUIRE: every rank must go on to the
  CHECK(same_as_rank0(p.buffers()));  // collectives below

  Optimizer adam(p, {0.01});
  LossScaler scaler(false, Device::cpu);
  TrainingStep step(net, adam, scaler, {LossKind::dice}, nullptr, 1);
  step.set_data_parallel(&averager, nullptr);  // each rank's own loss
  for (int k = 0; k < 3; ++k) {
    INFO("step " << k);
    Tensor image = net.input(), labels = step.labels();
    testing::fill_phantom(image, labels, static_cast<std::uint64_t>(100 * k + world().rank()));
    step.micro_batch();
    const std::vector<double> own = to_doubles(p.grads());
    const std::vector<std::vector<double>> each = all_ranks(own);
    CHECK(each[1] != each[0]);  // the ranks' data differ, so would their steps
    averager.average_gradients();
    std::vector<double> mean(own.size(), 0.0);
    for (const std::vector<double>& g : each)
      for (std::size_t i = 0; i < g.size(); ++i) mean[i] += g[i] / world().size();
    const Comparison c = compare(to_doubles(p.grads()), mean, tolerance(Check::parity_f32));
    INFO(c.describe());
    CHECK(c.ok);
    // apply() averages again: put the ranks' own gradients back first.
    Tensor grads = p.grads();
    Tensor own_tensor(grads.shape(), DType::f64);
    std::memcpy(own_tensor.data(), own.data(), own.size() * sizeof(double));
    cast({own_tensor, grads});
    step.apply();
    CHECK(adam.steps() == k + 1);
    CHECK(same_as_rank0(p.values()));
  }
  // Each rank normalised with its own batch's statistics, so BatchNorm's running statistics
  // are each rank's own (rank 0's are the ones a run would save).
  const bool same_statistics = same_as_rank0(p.buffers());  // a collective: every rank calls it
  if (world().rank() != 0) CHECK_FALSE(same_statistics);
}

namespace {

// max |a - b| over two equally long vectors.
double max_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = a.size() == b.size() ? 0.0 : INFINITY;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

// Rank `rank`'s slice of a batch of `ranks` equal micro-batches (the batch is NDHWC's outermost
// axis, so the slice is contiguous).
void copy_slice(const Tensor& whole, int rank, int ranks, Tensor& part) {
  const std::size_t bytes = whole.bytes() / static_cast<std::size_t>(ranks);
  REQUIRE(part.bytes() == bytes);
  std::memcpy(part.data(), static_cast<const char*>(whole.data()) + bytes * rank, bytes);
}

// The same f64 training twice from the same weights: one process (no communicator) holding the
// whole global batch of one volume per rank, and this rank's volume in a data-parallel run
// whose loss is the global batch's.
struct GlobalBatchRuns {
  inline static const UNetConfig kConfig{1, 3, 4, 2};
  UNet3D whole, part;
  CommunicatorSums sums{world()};
  GradientAverager averager{part.parameters(), world()};
  Optimizer whole_adam{whole.parameters(), {0.01}}, part_adam{part.parameters(), {0.01}};
  LossScaler whole_scaler{false, Device::cpu}, part_scaler{false, Device::cpu};
  TrainingStep whole_step, part_step;

  GlobalBatchRuns(LossKind kind, bool sync_bn, Precision precision = Precision::f64)
      : whole(kConfig, Device::cpu, precision, world().size(), 8),
        part(kConfig, Device::cpu, precision, 1, 8),
        whole_step(whole, whole_adam, whole_scaler, {kind}, nullptr, 1),
        part_step(part, part_adam, part_scaler, {kind}, nullptr, 1) {
    whole.parameters().initialize(5);
    part.parameters().initialize(5);
    if (sync_bn) part.set_batchnorm_ranks(&sums);
    part_step.set_data_parallel(&averager, &sums);
  }

  // One optimizer step of each on the phantom batch drawn from `seed`.
  void step(std::uint64_t seed) {
    Tensor image = whole.input(), labels = whole_step.labels();
    Tensor image_f32(image.shape(), DType::f32);  // the phantom is drawn in f32
    testing::fill_phantom(image_f32, labels, seed);
    cast({image_f32, image});
    Tensor my_image = part.input(), my_labels = part_step.labels();
    copy_slice(image, world().rank(), world().size(), my_image);
    copy_slice(labels, world().rank(), world().size(), my_labels);
    whole_step.micro_batch();
    part_step.micro_batch();
    loss_difference =
        std::max(loss_difference, std::abs(whole_step.last_loss() - part_step.last_loss()));
    const std::int64_t steps = whole_adam.steps();
    whole_step.apply();
    part_step.apply();
    CHECK(whole_adam.steps() == steps + 1);
    CHECK(part_adam.steps() == steps + 1);
  }
  double weight_difference() {
    return max_difference(to_doubles(part.parameters().values()),
                          to_doubles(whole.parameters().values()));
  }
  double statistics_difference() {
    return max_difference(to_doubles(part.parameters().buffers()),
                          to_doubles(whole.parameters().buffers()));
  }
  double loss_difference = 0;
};

// Three steps of the two trainings with --sync-bn; each difference (loss, weights, running
// statistics) at most `tolerance`, and every rank's weights the same bits.
void check_as_one_process(LossKind kind, Precision precision, double tolerance) {
  GlobalBatchRuns runs(kind, true, precision);
  for (int k = 0; k < 3; ++k) runs.step(static_cast<std::uint64_t>(40 + k));
  const double weights = runs.weight_difference(), statistics = runs.statistics_difference();
  INFO("max |difference|: loss " << runs.loss_difference << ", weights " << weights
                                 << ", running statistics " << statistics);
  CHECK(runs.loss_difference <= tolerance);
  CHECK(weights <= tolerance);
  CHECK(statistics <= tolerance);
  CHECK(same_as_rank0(runs.part.parameters().values()));
}

}  // namespace

TEST_CASE(
    "with --sync-bn and the global batch's loss, N ranks at batch 1 train as 1 process at batch N",
    "[mpi][sync_bn]") {
  const LossKind kind = GENERATE(LossKind::dice, LossKind::ce);
  INFO("loss " << (kind == LossKind::dice ? "dice" : "ce"));
  check_as_one_process(kind, Precision::f64, 1e-12);
}

TEST_CASE("with --sync-bn in f32, N ranks at batch 1 train as 1 process at batch N",
          "[mpi][sync_bn]") {
  // f32 on the CPU takes BatchNorm's vectorised backward, not the shared body the f64 case
  // runs; its weights end 4.5e-7 apart, 0.056 where the backward ignored the other ranks.
  check_as_one_process(LossKind::dice, Precision::f32, 1e-4);
}

TEST_CASE("without --sync-bn each rank normalises its own batch, so the runs part ways",
          "[mpi][sync_bn]") {
  // The check above must be able to fail: per-rank BatchNorm does not reach the one-process
  // parameters.
  GlobalBatchRuns runs(LossKind::dice, false);
  runs.step(40);
  CHECK(runs.weight_difference() > 1e-6);
}

TEST_CASE("a validation shared between the ranks gathers the table one process would make",
          "[mpi][validation]") {
  // Seven cases of three classes, class 2 absent from every third case.
  const std::size_t cases = 7;
  const auto row_of = [](std::size_t v) {
    return std::vector<double>{0.5 + 0.01 * static_cast<double>(v), 0.1 * static_cast<double>(v),
                               v % 3 == 0 ? NAN : 0.9 - 0.02 * static_cast<double>(v)};
  };
  DiceTable whole, mine;
  whole.class_names = mine.class_names = {"background", "a", "b"};
  std::vector<std::size_t> indices(cases);
  for (std::size_t v = 0; v < cases; ++v) {
    indices[v] = v;
    whole.volumes.push_back("case" + std::to_string(v));
    whole.per_volume.push_back(row_of(v));
  }
  whole.finish();
  for (const std::size_t v : rank_share(indices, world())) {
    mine.volumes.push_back(whole.volumes[v]);
    mine.per_volume.push_back(row_of(v));
  }
  const DiceTable gathered = gather_table(world(), mine, whole.volumes);
  CHECK(gathered.volumes == whole.volumes);
  CHECK(gathered.left_out == whole.left_out);
  CHECK(gathered.per_class == whole.per_class);
  CHECK(gathered.average == whole.average);
  CHECK(gathered.foreground == whole.foreground);
}

TEST_CASE("gradients summed in buckets begun during backward equal one bucket at the step",
          "[mpi][data_parallel]") {
  // Two copies of one data-parallel run: buckets of 500 elements begun as backward finishes
  // them, and the whole summed at the step. For 2 ranks each element's sum is a + b however
  // the buckets fall, so the weights must agree bit for bit, and with every rank's.
  UNet3D bucketed({1, 3, 4, 2}, Device::cpu, Precision::f32, 1, 8);
  UNet3D whole({1, 3, 4, 2}, Device::cpu, Precision::f32, 1, 8);
  bucketed.parameters().initialize(9);
  whole.parameters().initialize(9);
  GradientAverager small_buckets(bucketed.parameters(), world(), 500);
  GradientAverager one_bucket(whole.parameters(), world());
  CommunicatorSums sums(world());
  Optimizer bucketed_adam(bucketed.parameters(), {0.01}), whole_adam(whole.parameters(), {0.01});
  LossScaler bucketed_scaler(false, Device::cpu), whole_scaler(false, Device::cpu);
  TrainingStep bucketed_step(bucketed, bucketed_adam, bucketed_scaler, {LossKind::dice}, nullptr,
                             1);
  TrainingStep whole_step(whole, whole_adam, whole_scaler, {LossKind::dice}, nullptr, 1);
  bucketed_step.set_data_parallel(&small_buckets, &sums);
  whole_step.set_data_parallel(&one_bucket, &sums);
  for (int k = 0; k < 3; ++k) {
    for (UNet3D* net : {&bucketed, &whole}) {
      Tensor image = net->input(), labels = (net == &whole ? whole_step : bucketed_step).labels();
      testing::fill_phantom(image, labels,
                            static_cast<std::uint64_t>(70 + k + 10 * world().rank()));
    }
    bucketed_step.micro_batch(true);  // the step follows: buckets begin during backward
    whole_step.micro_batch();
    bucketed_step.apply();
    whole_step.apply();
  }
  CHECK(bucketed_adam.steps() == 3);
  CHECK(whole_adam.steps() == 3);
  INFO(small_buckets.buckets_last_step() << " buckets in the last step");
  CHECK(small_buckets.buckets_last_step() > 5);
  CHECK(one_bucket.buckets_last_step() == 1);
  const Tensor a = bucketed.parameters().values(), b = whole.parameters().values();
  CHECK(std::memcmp(a.data(), b.data(), a.bytes()) == 0);
  CHECK(same_as_rank0(a));
}

TEST_CASE("a stop that reached one rank is every rank's, with its exit code", "[mpi][interrupt]") {
  install_interrupt_handlers();
  CHECK(agreed_interrupt(world()) == 0);
  if (world().rank() == 0) std::raise(SIGTERM);  // the launcher's signal reached rank 0 alone
  CHECK(agreed_interrupt(world()) == SIGTERM);
  CHECK(pending_interrupt() == SIGTERM);
  CHECK(interrupt_exit_code() == 143);
  remove_interrupt_handlers();
}

TEST_CASE("the ranks' splits are compared with rank 0's", "[mpi][validation]") {
  const std::vector<std::size_t> same{4, 1, 7};
  CHECK(same_on_every_rank(world(), same));
  std::vector<std::size_t> differs = same;
  if (world().rank() == 1) differs.push_back(9);  // one more case on rank 1
  CHECK_FALSE(same_on_every_rank(world(), differs));
  std::vector<std::size_t> swapped = same;
  if (world().rank() == 1) std::swap(swapped[0], swapped[2]);
  CHECK_FALSE(same_on_every_rank(world(), swapped));
}
