// A training run: data, split, epochs, validation, checkpoints, interruption and the test report.
#include "tools/run/training_run.h"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <optional>

#include "io/patch_plan.h"
#include "io/split.h"
#include "layers/augmentation.h"
#include "layers/conv3d.h"
#include "layers/conv_algorithm.h"
#include "layers/statistics_snapshot.h"
#include "runtime/atomic_file.h"
#include "runtime/device.h"
#include "runtime/folder_lock.h"
#include "runtime/interrupt.h"
#include "runtime/log.h"
#include "tools/evaluation/evaluator.h"
#include "tools/model/checkpoint.h"
#include "tools/report/pictures.h"
#include "tools/report/report.h"
#include "tools/run/fine_tuning.h"
#include "tools/run/metrics_file.h"
#include "tools/run/run_data.h"
#include "tools/run/run_position.h"
#include "tools/run/run_ranks.h"
#include "tools/run/test_phase.h"
#include "tools/run/training.h"
#include "tools/run/training_batches.h"

namespace unet3d {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class Run {
 public:
  // `ranks`: the processes training together (one, or mpirun's); rank 0 alone writes the run
  // folder and the log.
  Run(const RunConfig& c, const RunSettings& settings, const std::string& command_line,
      Communicator& ranks, const RunPlan* plan)
      : c_(c), out_(c.out), ranks_(ranks), writes_(ranks.rank() == 0) {
    install_interrupt_handlers();  // from here on, Ctrl-C stops with a message
    if (writes_) open_folder();
    if (writes_ && plan != nullptr)
      write_file_atomically((out_ / "plan.json").string(), plan->json);
    check_resumed_ranks(settings, c_, ranks);
    device_ = resolve_device(c.device);
    check_same_device(ranks, device_);
    if (c.threads > 0) omp_set_num_threads(c.threads);
    set_deterministic_convolutions(c.deterministic);
    precision_ = resolve_precision(c.precision, device_);
    precision_word_ = precision_word(precision_);
    // Before the data is loaded, which may take a while.
    if (precision_ == Precision::f16 && device_ != Device::cuda)
      throw Error(ErrorKind::usage,
                  "--precision fp16 (mixed precision) needs the CUDA backend; use fp32 on the CPU");
    // config.json and the log hold what "auto" resolved to. It is written before the data is
    // loaded, so that a run stopped while preprocessing resumes, and again once the data has
    // resolved the rest.
    RunSettings resolved = settings;
    resolved["device"] = device_name(device_);
    resolved["precision"] = precision_word_;
    resolved["ranks"] = std::to_string(ranks.size());
    log_run_header(resolved, command_line, device_);
    if (plan != nullptr)
      for (const std::string& line : plan->summary) log_info(line);
    if (writes_ && (!c.resuming || c.extending_from > 0))
      write_run_config((out_ / "config.json").string(), resolved, command_line, device_);
    if (c.extending_from > 0)
      log_info("extending the run from ", c.extending_from, " to ", c.epochs,
               " epochs: config.json rewritten, the learning-rate schedule computed over ",
               c.epochs, " epochs, and the test phase run again at the end");
    if (c.interrupt_during == "preprocessing") std::raise(SIGINT);
    // Rank 0 preprocesses first, filling the cache the others then read. Each rank takes a GPU
    // of its own before the data reaches one.
    if (!writes_) ranks.barrier();
    take_own_gpu(ranks, device_);
    data_ = load_run_data(c, device_, [&](const std::vector<CaseInfo>& cases) {
      std::vector<Spacing> spacings;
      for (const std::size_t i : case_indices(cases, chosen_split(cases).train))
        spacings.push_back(spacing_of(cases[i].geometry));
      return median_spacing(spacings);
    });
    if (writes_) ranks.barrier();
    split_data();
    input_grid_ = input_grid();
    resolve_settings(resolved, data_, input_grid_);
    if (writes_ && (!c.resuming || c.extending_from > 0))
      write_run_config((out_ / "config.json").string(), resolved, command_line, device_,
                       data_.cache_file);
    log_info(resolved_text(data_, input_grid_));
  }

  // Trains from where the run stands to the last epoch, then tests; returns the exit code.
  int operator()() {
    const std::vector<std::string>& class_names = data_.class_names();
    Training t(c_, data_, train_, input_grid_, device_, precision_, ranks_);
    log_info("network: ", t.net.parameters().parameter_count(),
             " parameters; activations, gradients and saved statistics ",
             static_cast<double>(t.net.planned_bytes()) / 1e6, " MB, planned once");
    t.net.parameters().initialize(c_.seed);
    if (data_.patch_mode) {
      patches_ = PatchBatches(data_.resampled, train_, t.net.grid(), c_.seed);
    } else {
      resident_ = data_.host.to(device_, activation_dtype(precision_));
      volumes_ = VolumeBatches(resident_);
    }
    Position p = writes_ ? resume(t) : Position{};
    std::int32_t finished = writes_ && nothing_left_to_do(out_, p.epoch, c_);
    if (ranks_.distributed()) ranks_.broadcast(&finished, sizeof finished);
    if (finished != 0) {
      log_info("the run in ", out_.string(), " is finished (", c_.epochs, " epochs, its test ",
               "report written): nothing to do; --retest tests it again, --epochs N extends it");
      remove_interrupt_handlers();
      close_log_file();
      return 0;
    }
    if (ranks_.distributed()) {  // rank 0's start or checkpoint, on every rank
      ranks_.broadcast(&p, sizeof p);
      t.share_rank0_state(ranks_);
      log_info("data-parallel: ", ranks_.size(), " ranks of --batch ", c_.batch,
               " (a global batch of ", ranks_.size() * c_.batch, "), BatchNorm ",
               c_.sync_bn ? "synchronised (--sync-bn)" : "per rank", ", gradients averaged with ",
               t.averager.transport());
    }
    if (writes_)
      metrics_.emplace(out_ / "metrics.csv", metrics_header(class_names, c_.val_metrics), p.epoch);
    for (; p.epoch < c_.epochs; ++p.epoch) {
      const Clock::time_point started = Clock::now();
      t.optimizer.set_lr(epoch_lr(c_.lr_schedule, c_.lr, p.epoch, c_.epochs, c_.warmup_epochs));
      if (!train_epoch(t, p, started)) return interrupted(t, p, started);
      finish_epoch(t, p, started);
      if (agreed_interrupt(ranks_) != 0 &&
          p.epoch + 1 < c_.epochs) {  // during validation or saving
        log_info("interrupted after epoch ", p.epoch + 1,
                 "; checkpoint written. Resume with: trainer --resume ", out_.string());
        return exit_code();
      }
    }
    // Before the test phase, which hands rank 0's best weights to every rank.
    if (ranks_.distributed() && !t.averager.ranks_hold_same_weights())
      throw Error(ErrorKind::runtime,
                  "the ranks ended with different weights: the data-parallel step is at fault");
    if (ranks_.distributed())
      log_info("the ", ranks_.size(), " ranks ended with the same weights, bit for bit");
    if (!test_.empty())
      run_test_phase(t, data_, resident_, test_, out_, c_, writes_);
    else if (writes_)
      write_no_test_report(out_ / "test");
    remove_interrupt_handlers();
    close_log_file();
    return 0;
  }

 private:
  void open_folder() {
    fs::create_directories(out_);
    lock_.emplace(out_.string(), "trainer.lock");  // held until the run object is gone
    // What a killed trainer left half-written; no other trainer can be writing here now.
    int partial = 0;
    for (const fs::path& folder : {out_, out_ / "plots", out_ / "test"})
      partial +=
          remove_partial_files(folder.string(), {".safetensors", ".json", ".csv", ".md", ".png"});
    if (partial > 0)
      log_warn("removed ", partial, " half-written file(s) (.partial-*) that a killed run left in ",
               out_.string());
    if (!c_.resuming && has_checkpoint_files(out_))
      throw Error(ErrorKind::usage,
                  concat("--out ", out_.string(), " already holds a run (resume it with --resume ",
                         out_.string(), ", or choose another folder)"));
    set_log_file((out_ / "train.log").string());
  }

  // --split's, the resumed run's, or a new one drawn from the seed.
  Split chosen_split(const std::vector<CaseInfo>& cases) const {
    // A resumed run keeps its split; one stopped before it had a split draws it as a new run.
    const bool kept = c_.resuming && fs::exists(out_ / "split.json");
    const std::string split_file =
        c_.split.empty() ? (kept ? (out_ / "split.json").string() : "") : c_.split;
    return split_file.empty() ? split_by_patient(cases, c_.seed, c_.folds)
                              : read_split(split_file, cases);
  }

  void split_data() {
    const std::vector<CaseInfo>& cases = data_.cases();
    const Split split = chosen_split(cases);
    if (writes_) write_split((out_ / "split.json").string(), split);
    train_ = case_indices(cases, split.train);
    val_ = case_indices(cases, split.val);
    test_ = case_indices(cases, split.test);
    for (const std::vector<std::size_t>* part : {&train_, &val_, &test_})
      if (!same_on_every_rank(ranks_, *part))
        throw Error(ErrorKind::usage,
                    concat("the ranks drew different splits of ", cases.size(),
                           " cases: give them the same data and, to resume, the same run folder "
                           "(a shared file system) or --split"));
    log_info("split: ", train_.size(), " training, ", val_.size(), " validation, ", test_.size(),
             " test cases", folds_note(split.folds));
    if (val_.empty())
      log_warn("the split has no validation cases: no validation Dice, no best.safetensors; the ",
               "test phase will use last.safetensors");
    if (test_.empty())
      log_warn("the split has no test cases: there will be no test phase (test/report.md says so)");
    if (static_cast<std::int64_t>(train_.size()) < global_batch() && !data_.patch_mode)
      throw Error(ErrorKind::usage,
                  concat("--batch ", c_.batch,
                         ranks_.distributed() ? concat(" on ", ranks_.size(), " ranks") : "",
                         " exceeds the ", train_.size(), " training cases"));
    if (train_.empty()) throw Error(ErrorKind::usage, "the split has no training cases");
  }

  // The network's input: S^3, or patch mode's --patch or default patch.
  Grid input_grid() const {
    if (!data_.patch_mode) return Grid::cube(c_.size);
    if (c_.patch) return *c_.patch;
    std::vector<Grid> grids;
    for (const std::size_t i : train_) grids.push_back(data_.resampled.volumes[i].grid);
    const Grid patch = default_patch(grids, network_config(c_, 1, 2).total_pool(), c_.size);
    log_info("patch mode: patch ", xyz_text(patch), " (x,y,z), from the training cases' median ",
             "grid at the target spacing");
    return patch;
  }

  // The volumes of one micro-batch over all ranks: each rank's --batch.
  std::int64_t global_batch() const { return c_.batch * ranks_.size(); }

  // Micro-batches per epoch: --iters, or the training cases / the global batch.
  std::int64_t micro_batches_per_epoch() const {
    if (c_.iters > 0) return c_.iters;
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(train_.size()) / global_batch());
  }

  // Where the run stands: what the last whole checkpoint pair says, or the start (a resumed run
  // stopped before its first checkpoint starts at the beginning with its saved settings), where
  // a fine-tuned run's weights are --init-from's.
  Position resume(Training& t) {
    std::optional<Position> p;
    if (c_.resuming && !has_checkpoint_files(out_))
      log_info("no checkpoint in ", out_.string(), " yet: starting at epoch 1");
    else if (c_.resuming)
      p = read_last_checkpoint(out_, t);
    if (p) log_info("resuming at epoch ", p->epoch + 1, ", micro-batch ", p->micro_batch);
    if (!p && !c_.init_from.empty()) initialize_from_checkpoint(c_.init_from, t.net);
    return p.value_or(Position{});
  }

  // The epoch's micro-batches from p.micro_batch on; false when a signal stopped it, with `p`,
  // the weights and the BatchNorm running statistics as the last optimizer step left them (the
  // micro-batches of an unfinished accumulation are dropped, to be redone on resume).
  bool train_epoch(Training& t, Position& p, Clock::time_point started) {
    ParameterStore& parameters = t.net.parameters();
    Tensor statistics = parameters.buffers();
    Tensor statistics_at_step(statistics.shape(), statistics.dtype(), statistics.device());
    statistics_at_step.copy_from(statistics);
    Position at_step = p;
    std::int64_t tracked_at_step = t.net.batches_tracked();
    const std::vector<std::size_t> order = epoch_order(train_, c_.seed, p.epoch);
    const std::int64_t per_epoch = micro_batches_per_epoch();
    ProgressBar bar(concat("epoch ", p.epoch + 1, "/", c_.epochs), per_epoch);
    bar.advance(p.micro_batch);
    Tensor input = t.net.input(), labels = t.step.labels();
    t.step.set_losses(p.loss_sum, p.micro_batches);
    std::vector<std::size_t> cases(static_cast<std::size_t>(c_.batch));
    std::vector<Augmentation> augmentations(cases.size());
    for (; p.micro_batch < per_epoch; ++p.micro_batch) {
      // This rank's share of the global micro-batch: its slots, and its own patch draws.
      const std::int64_t share = p.micro_batch * ranks_.size() + ranks_.rank();
      for (std::size_t b = 0; b < cases.size(); ++b) {
        const auto slot = static_cast<std::size_t>(share * c_.batch) + b;
        if (!data_.patch_mode) cases[b] = order[slot];
        augmentations[b] =
            draw_augmentation(c_.augment, c_.seed, p.epoch, static_cast<std::int64_t>(slot));
      }
      if (data_.patch_mode)
        patches_.fill(p.epoch, share, augmentations, input, labels);
      else
        volumes_.fill(cases, augmentations, input, labels);
      const bool step_follows =
          (p.micro_batch + 1) % c_.accum == 0 || p.micro_batch + 1 == per_epoch;
      t.step.micro_batch(step_follows);
      ++p.micro_batches;
      if (const std::string planning = conv_planning_report(); !planning.empty() && !planned_) {
        log_info(planning);  // every convolution has now run in each direction
        planned_ = true;
      }
      const double elapsed = p.seconds + seconds_since(started);
      // The mean loss of the micro-batches the device has finished (never waiting for it).
      const TrainingStep::Losses so_far = t.step.latest_losses();
      bar.advance(1, concat(so_far.count > 0 ? concat("loss ", so_far.sum / so_far.count, "  ")
                                             : std::string(),
                            static_cast<double>((p.micro_batch + 1) * global_batch()) /
                                std::max(elapsed, 1e-9),
                            " vol/s"));
      if (++micro_batches_run_ == c_.interrupt_after) std::raise(SIGINT);
      if (step_follows) {
        t.step.apply();
        at_step = p;
        ++at_step.micro_batch;
        snapshot_statistics(statistics, statistics_at_step);  // queued on the device: nothing waits
        tracked_at_step = t.net.batches_tracked();
      }
      if (agreed_interrupt(ranks_) != 0) {
        p = at_step;
        p.loss_sum = t.step.current_losses().sum_at_step;
        p.optimizer_steps = t.optimizer.steps();  // skipped steps not counted
        statistics.copy_from(statistics_at_step);
        t.net.set_batches_tracked(tracked_at_step);
        parameters.zero_grads();
        bar.finish();
        return false;
      }
    }
    bar.finish();
    p.loss_sum = t.step.current_losses().sum;
    p.optimizer_steps = t.optimizer.steps();
    return true;
  }

  int interrupted(Training& t, const Position& p, Clock::time_point started) {
    if (writes_)
      write_last_checkpoint(out_, t, p, p.epoch, p.micro_batch, p.seconds + seconds_since(started));
    ranks_.barrier();  // the others end once the checkpoint is written
    log_info("interrupted (", pending_interrupt() == SIGTERM ? "SIGTERM" : "SIGINT", ") in epoch ",
             p.epoch + 1, " after micro-batch ", p.micro_batch,
             "; checkpoint written. Resume with: trainer --resume ", out_.string());
    return exit_code();
  }

  int exit_code() const {
    close_log_file();
    return interrupt_exit_code();
  }

  // Validation, the metrics row, the plots and the checkpoints after an epoch's training.
  void finish_epoch(Training& t, Position& p, Clock::time_point started) {
    const std::vector<std::string>& class_names = data_.class_names();
    const double seconds = p.seconds + seconds_since(started);
    const double train_loss =
        p.micro_batches > 0 ? p.loss_sum / static_cast<double>(p.micro_batches) : NAN;
    const bool validate =
        !val_.empty() && ((p.epoch + 1) % c_.val_every == 0 || p.epoch + 1 == c_.epochs);
    double val_loss = NAN;  // patch mode has none: whole volumes are not a batch of patches
    DiceTable dice;
    CaseScoreTable surface(class_names, c_.nsd_tolerance_mm);
    CaseScoreTable* scores = c_.val_metrics ? &surface : nullptr;
    if (validate) dice = validation(t, scores, val_loss);
    std::string row = concat(p.epoch + 1, ",", metrics_cell(train_loss, true), ",",
                             metrics_cell(val_loss, validate));
    for (std::size_t k = 0; k < class_names.size(); ++k)
      row += "," + metrics_cell(validate ? dice.per_class[k] : NAN, validate);
    const auto per_epoch = static_cast<double>(micro_batches_per_epoch() * global_batch());
    const auto voxels = static_cast<double>(t.net.grid().voxels());
    row += "," + metrics_cell(dice.average, validate);
    if (c_.val_metrics)
      for (std::size_t k = 0; k < class_names.size(); ++k)
        row += "," + metrics_cell(surface.mean_hd95(static_cast<int>(k)), validate);
    row +=
        concat(",", t.optimizer.options().lr, ",", t.scaler.scale(), ",",
               metrics_cell(seconds, true), ",", metrics_cell(per_epoch * voxels / seconds, true));
    if (writes_) metrics_->add(row), plot_metrics(out_, class_names);
    log_info(epoch_summary(p.epoch + 1, c_.epochs, train_loss, validate ? &dice : nullptr, val_loss,
                           seconds));
    if (validate && dice.average > p.best_dice) {
      p.best_dice = dice.average;
      Position best = p;
      best.epoch = p.epoch + 1;
      if (writes_)
        save_model((out_ / "best.safetensors").string(), t.net,
                   t.info(best.epoch, best.optimizer_steps));
    }
    p.micro_batch = 0, p.loss_sum = 0, p.micro_batches = 0, p.seconds = 0;
    if (writes_) write_last_checkpoint(out_, t, p, p.epoch + 1, 0, 0);
  }

  // The validation Dice (and, in resize mode, val_loss). Every rank of a data-parallel run
  // scores with rank 0's running statistics, the ones saved; the ranks share the cases and
  // gather their tables, but for --val-metrics, whose surface scores every rank computes for all.
  DiceTable validation(Training& t, CaseScoreTable* scores, double& val_loss) {
    Tensor statistics = t.net.parameters().buffers();
    broadcast_tensor(ranks_, statistics);  // nothing in a single process
    const bool shared = ranks_.distributed() && scores == nullptr;
    const std::vector<std::size_t> cases = shared ? rank_share(val_, ranks_) : val_;
    DiceTable dice = data_.patch_mode ? t.window_evaluator.evaluate(data_.resampled, cases, scores)
                                      : t.evaluator.evaluate(resident_, cases, &val_loss, scores);
    if (!shared) return dice;
    // The loss: the mean over every rank's batches.
    const double batches =
        std::ceil(static_cast<double>(cases.size()) / static_cast<double>(c_.batch));
    double loss[2] = {batches > 0 ? val_loss * batches : 0.0, batches};
    ranks_.sum(loss, 2);
    val_loss = data_.patch_mode ? NAN : loss[0] / loss[1];
    std::vector<std::string> names;
    for (const std::size_t c : val_) names.push_back(data_.cases()[c].name);
    return gather_table(ranks_, dice, names);
  }

  const RunConfig& c_;
  fs::path out_;
  Communicator& ranks_;
  bool writes_;  // rank 0
  Device device_ = Device::cpu;
  std::string precision_word_;
  Precision precision_ = Precision::f32;
  RunData data_;
  PreprocessedDataset resident_;  // resize mode: the dataset on the training device
  VolumeBatches volumes_;         // resize mode
  PatchBatches patches_;          // patch mode
  std::vector<std::size_t> train_, val_, test_;
  Grid input_grid_;  // the network's input (input_grid())
  bool planned_ = false;
  std::optional<FolderLock> lock_;
  std::optional<MetricsFile> metrics_;
  std::int64_t micro_batches_run_ = 0;  // by this process, for --interrupt-after
};

}  // namespace

int run_training(const RunSettings& settings, const std::string& command_line,
                 std::int64_t extended_from, const RunPlan* plan) {
  RunConfig config = parse_run_config(settings);
  config.extending_from = extended_from;
  try {
    Run run(config, settings, command_line, Communicator::world(), plan);
    return run();
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::interrupted || e.kind() == ErrorKind::terminated)
      log_info(
          "stopped before this phase ended; its work is not saved. Resume with: trainer "
          "--resume ",
          config.out);
    throw;
  }
}

}  // namespace unet3d
