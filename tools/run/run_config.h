// A training run's configuration: the settings as config.json keeps them (strings keyed by flag
// name, so that a run folder written by any version resumes), and the same settings typed,
// checked and parsed once (a usage Error names the flag and the value at fault).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/patch_plan.h"
#include "io/split.h"
#include "layers/lr_schedule.h"
#include "layers/train_step.h"

namespace unet3d {

using RunSettings = std::map<std::string, std::string>;

// Every field but extending_from is its flag's value, checked: parse_run_config sets each from
// the settings through tools/run/run_flags.h, which holds the flags' defaults (so
// parse_run_config({}) is the configuration of every default). Here the fields are only
// zero-initialised.
struct RunConfig {
  std::string data, out, split, cache;  // "" where not given
  Folds folds;                          // --folds K --fold k (count 0: no cross-validation)
  DatasetLayout layout{};
  std::optional<Device> device;        // none: auto (decided where the run starts)
  std::optional<Precision> precision;  // none: auto (fp16 on a GPU, fp32 on the CPU)
  std::int64_t size{}, features{}, depth{};
  int classes{};  // 0: from the data
  // The configurable network (docs/model.md); the defaults are the original network.
  std::vector<Grid> kernel_sizes, pool_sizes;  // (z, y, x) per level; none: 3s and 2s
  std::int64_t max_features{};                 // 0: no cap
  NormKind norm{};
  Activation activation{};
  bool deep_supervision{};
  LossOptions loss;
  std::int64_t epochs{}, batch{}, accum{}, val_every{};
  double lr{}, weight_decay{};
  OptimizerKind optimizer{};
  double momentum{};  // sgd
  LrSchedule lr_schedule{};
  std::int64_t warmup_epochs{};     // cosine only
  std::int64_t extending_from = 0;  // a resumed run given more --epochs: the epochs it had
  double nsd_tolerance_mm{};
  unsigned augment{};  // AugmentBit set (layers/augmentation.h)
  bool use_cache{}, deterministic{}, val_metrics{};
  bool sync_bn{};  // data-parallel: BatchNorm's statistics over every rank's batch
  std::uint64_t seed{};
  std::int64_t phantoms{};
  std::vector<std::int64_t> phantom_size;  // x, y, z
  int threads{};                           // 0: all
  std::int64_t interrupt_after{};          // testing hooks: SIGINT after this many micro-batches,
  std::string interrupt_during;            // or as "preprocessing" or "test" starts ("": never)
  std::string init_from;  // --init-from: the model file a fine-tuned run starts from ("": none)
  bool resuming{};
  bool retest{};  // --retest: a resumed finished run tests again
  // Patch mode (--mode patch; resize mode, the original's, otherwise).
  bool patch_mode{};
  std::optional<Spacing> spacing;  // --spacing (z, y, x here); none: the training cases' median
  std::optional<Grid> patch;       // --patch; none: default_patch of the resampled training cases
  std::int64_t iters{};            // micro-batches per epoch; 0: training cases / batch
  double overlap{};                // sliding-window overlap, 0 <= overlap < 1
  bool mirror{};                   // --tta mirror
  // Each channel's normalisation as --normalization gives it (io/normalization.h), checked
  // against the channel count once the data is found.
  std::string normalization;
  // The plan (tools/plan/): "none", "auto" (this run's training cases), or a plan.json's path.
  std::string plan;
  double memory_gb{};  // the budget --plan auto sizes the patch and batch for
};

RunConfig parse_run_config(const RunSettings& settings);

// The network a run trains, for data of `in_channels` channels and `classes` classes.
UNetConfig network_config(const RunConfig& c, std::int64_t in_channels, std::int64_t classes);

// The log's first lines: the program's version and commit, the command line, the device and
// every setting (as resolved: settings["precision"] is the word chosen).
void log_run_header(const RunSettings& settings, const std::string& command_line, Device device);

// config.json (docs/formats.md): the version, commit, command line, device, the preprocessing
// cache entry used ("" before the data is loaded, or without a cache) and settings, written
// atomically.
void write_run_config(const std::string& path, const RunSettings& settings,
                      const std::string& command_line, Device device,
                      const std::string& cache_file = "");

}  // namespace unet3d
