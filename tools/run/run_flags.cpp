// The trainer's flags (run_flags.h), in the order --help lists them.
#include "tools/run/run_flags.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>

#include "io/normalization.h"
#include "io/patch_plan.h"
#include "layers/augmentation.h"
#include "runtime/error.h"
#include "runtime/shared_flags.h"
#include "tools/model/network_text.h"

namespace unet3d {
namespace {

constexpr std::int64_t kMany = std::numeric_limits<std::int64_t>::max();

[[noreturn]] void bad(const char* flag, const std::string& value, const std::string& what) {
  throw Error(ErrorKind::usage, concat("--", flag, ": '", value, "' is not ", what));
}

// `text` as a number of type T in [low, high].
template <class T>
T in_range(const char* flag, const std::string& text, T low, T high, const char* what) {
  T v{};
  std::istringstream in(text);
  if (!(in >> v) || !in.eof() || v < low || v > high) bad(flag, text, what);
  return v;
}

std::int64_t positive(const char* flag, const std::string& text) {
  return in_range<std::int64_t>(flag, text, 1, kMany, "a positive integer");
}
std::int64_t non_negative(const char* flag, const std::string& text) {
  return in_range<std::int64_t>(flag, text, 0, kMany, "a non-negative integer");
}
double number(const char* flag, const std::string& text) {
  return in_range<double>(flag, text, 0.0, std::numeric_limits<double>::max(),
                          "a non-negative number");
}
double fraction(const char* flag, const std::string& text) {  // in [0, 1)
  return in_range<double>(flag, text, 0.0, 0.999999, "in [0, 1)");
}

const std::string& one_of(const char* flag, const std::string& text,
                          const std::set<std::string>& allowed) {
  if (!allowed.count(text)) {
    std::string list;
    for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
    bad(flag, text, "one of " + list);
  }
  return text;
}

std::vector<std::int64_t> triple(const char* flag, const std::string& text) {
  std::vector<std::int64_t> out;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ',');)
    out.push_back(in_range<std::int64_t>(flag, part, 1, 1 << 16, "X,Y,Z of positive integers"));
  if (out.size() == 1) out = {out[0], out[0], out[0]};
  if (out.size() != 3) bad(flag, text, "X,Y,Z (1 or 3 values)");
  return out;
}

LossKind loss_kind(const std::string& word) {
  if (word == "ce") return LossKind::ce;
  if (word == "wce") return LossKind::wce;
  if (word == "combined") return LossKind::combined;
  if (word == "dicece") return LossKind::dicece;
  return LossKind::dice;
}

using Parse = void (*)(const char* flag, const std::string& value, RunConfig& c);

RunFlag own(const char* name, const char* value_name, const char* help, const char* default_value,
            Parse parse) {
  return {name, value_name, help, default_value, parse, false};
}
RunFlag switch_flag(const char* name, const char* help, Parse parse) {
  return {name, "", help, "", parse, false};
}
RunFlag shared(const char* name, Parse parse) {
  return {name, "", "", "", parse, true};
}

const SharedFlag& shared_flag(const char* name) {
  for (const SharedFlag& f : shared_flags())
    if (std::strcmp(f.name, name) == 0) return f;
  throw Error(ErrorKind::runtime, concat("no shared flag --", name));
}

bool on(const std::string& value) {
  return value == "true";
}

// The table, in --help's order.
const std::vector<RunFlag> kRunFlags = {
    own("plan", "none|auto|FILE",
        "auto: plan the spacing, patch, batch, topology and normalisation from the training "
        "cases (saved as plan.json); FILE: a plan.json's settings; flags given win",
        "none",
        [](const char* f, const std::string& v, RunConfig& c) {
          if (v.empty()) bad(f, v, "none, auto or a plan.json");
          c.plan = v;
        }),
    shared("memory-gb",
           [](const char* f, const std::string& v, RunConfig& c) {
             c.memory_gb = in_range<double>(f, v, 1e-12, 1e6, "a positive size in GB");
           }),
    own("normalization", "LIST",
        "each input channel's: zscore (per volume), or ct:lo,hi,mean,std (clip, then z-score "
        "with the dataset's figures); ';' between channels; zscore alone: every channel",
        "zscore",
        [](const char*, const std::string& v, RunConfig& c) {
          // Its form now, its channel count with the data.
          parse_normalization(v, std::count(v.begin(), v.end(), ';') + 1, "--normalization");
          c.normalization = v;
        }),
    shared("data", [](const char*, const std::string& v, RunConfig& c) { c.data = v; }),
    shared("layout", [](const char*, const std::string& v,
                        RunConfig& c) { c.layout = parse_layout(v, "--layout"); }),
    own("out", "DIR", "run folder (default runs/<timestamp>)", "",
        [](const char*, const std::string& v, RunConfig& c) { c.out = v; }),
    shared("device", [](const char*, const std::string& v,
                        RunConfig& c) { c.device = parse_device_choice(v); }),
    shared("precision", [](const char*, const std::string& v,
                           RunConfig& c) { c.precision = parse_precision_choice(v); }),
    shared("mode",
           [](const char* f, const std::string& v, RunConfig& c) {
             c.patch_mode = one_of(f, v, {"resize", "patch"}) == "patch";
           }),
    shared("size",
           [](const char* f, const std::string& v, RunConfig& c) { c.size = positive(f, v); }),
    shared("spacing",
           [](const char*, const std::string& v, RunConfig& c) {
             if (!v.empty()) c.spacing = spacing_of_xyz(v, "--spacing");
           }),
    shared("patch",
           [](const char*, const std::string& v, RunConfig& c) {
             if (!v.empty()) c.patch = grid_of_xyz(v, "--patch");
           }),
    own("iters", "N", "patch mode: micro-batches per epoch (0: training cases / batch)", "0",
        [](const char* f, const std::string& v, RunConfig& c) { c.iters = non_negative(f, v); }),
    shared("overlap",
           [](const char* f, const std::string& v, RunConfig& c) { c.overlap = fraction(f, v); }),
    shared("tta",
           [](const char* f, const std::string& v, RunConfig& c) {
             c.mirror = one_of(f, v, {"none", "mirror"}) == "mirror";
           }),
    shared("features",
           [](const char* f, const std::string& v, RunConfig& c) { c.features = positive(f, v); }),
    shared("depth",
           [](const char* f, const std::string& v, RunConfig& c) { c.depth = positive(f, v); }),
    own("kernel-sizes", "X,Y,Z;...",
        "kernel per level and the bottleneck's (depth + 1 triples, each side 1 or 3; default "
        "3,3,3 everywhere)",
        "",
        [](const char*, const std::string& v, RunConfig& c) {
          c.kernel_sizes = sizes_of_text(v, "--kernel-sizes");
        }),
    own("pool-sizes", "X,Y,Z;...",
        "pooling after each level (depth triples, each side 1 or 2; default 2,2,2 everywhere)", "",
        [](const char*, const std::string& v, RunConfig& c) {
          c.pool_sizes = sizes_of_text(v, "--pool-sizes");
        }),
    shared("max-features",
           [](const char* f, const std::string& v, RunConfig& c) {
             c.max_features = v == "none" ? 0
                                          : in_range<std::int64_t>(f, v, 1, kMany,
                                                                   "none, or a positive integer");
           }),
    shared("norm", [](const char*, const std::string& v,
                      RunConfig& c) { c.norm = parse_norm(v, "--norm"); }),
    shared("activation", [](const char*, const std::string& v,
                            RunConfig& c) { c.activation = parse_activation(v, "--activation"); }),
    switch_flag(
        "deep-supervision",
        "a loss on every decoder level but the lowest (heads ds2 ... ds{depth-1}; "
        "depth 3 or more)",
        [](const char*, const std::string& v, RunConfig& c) { c.deep_supervision = on(v); }),
    shared("classes",
           [](const char* f, const std::string& v, RunConfig& c) {
             c.classes =
                 v == "auto"
                     ? 0
                     : static_cast<int>(in_range<std::int64_t>(f, v, 2, 32, "auto, or 2 to 32"));
           }),
    own("loss", "dice|ce|wce|combined|dicece", "loss function (dicece: Dice + cross-entropy)",
        "dice",
        [](const char* f, const std::string& v, RunConfig& c) {
          c.loss.kind = loss_kind(one_of(f, v, {"dice", "ce", "wce", "combined", "dicece"}));
        }),
    own("alpha", "A", "combined loss: weight of weighted cross-entropy", "0.5",
        [](const char* f, const std::string& v, RunConfig& c) { c.loss.alpha = number(f, v); }),
    own("beta", "B", "combined loss: weight of log(Dice loss)", "0.5",
        [](const char* f, const std::string& v, RunConfig& c) { c.loss.beta = number(f, v); }),
    switch_flag(
        "dice-exclude-background", "leave class 0 out of the Dice loss",
        [](const char*, const std::string& v, RunConfig& c) { c.loss.exclude_background = on(v); }),
    own("epochs", "N", "epochs", "100",
        [](const char* f, const std::string& v, RunConfig& c) { c.epochs = positive(f, v); }),
    own("batch", "B", "volumes per micro-batch", "2",
        [](const char* f, const std::string& v, RunConfig& c) { c.batch = positive(f, v); }),
    own("accum", "K", "micro-batches per optimizer step", "4",
        [](const char* f, const std::string& v, RunConfig& c) { c.accum = positive(f, v); }),
    own("optimizer", "adam|adamw|sgd",
        "torch.optim.Adam, AdamW, or SGD with Nesterov momentum (--momentum)", "adam",
        [](const char*, const std::string& v, RunConfig& c) {
          c.optimizer = parse_optimizer(v, "--optimizer");
        }),
    own("momentum", "M", "SGD's momentum", "0.99",
        [](const char* f, const std::string& v, RunConfig& c) { c.momentum = fraction(f, v); }),
    own("lr", "LR", "learning rate (each epoch's: --lr-schedule)", "1e-3",
        [](const char* f, const std::string& v, RunConfig& c) { c.lr = number(f, v); }),
    own("lr-schedule", "constant|poly|cosine",
        "poly: lr (1 - e/E)^0.9; cosine: lr 0.5 (1 + cos(pi (e - w)/(E - w))) after a linear "
        "warm-up of w epochs",
        "constant",
        [](const char*, const std::string& v,
           RunConfig& c) { c.lr_schedule = parse_lr_schedule(v, "--lr-schedule"); }),
    own("warmup-epochs", "W", "cosine schedule: epochs of linear warm-up from 0", "0",
        [](const char* f, const std::string& v, RunConfig& c) {
          c.warmup_epochs = non_negative(f, v);
        }),
    own("weight-decay", "W", "weight decay (AdamW's decoupled; Adam's and SGD's in the gradient)",
        "0",
        [](const char* f, const std::string& v, RunConfig& c) { c.weight_decay = number(f, v); }),
    own("augment", "LIST",
        "none, nnunet (all), or a comma list of rotate, scale, noise, blur, brightness, "
        "contrast, lowres, gamma, flip (docs/model.md, Augmentation)",
        "none",
        [](const char*, const std::string& v,
           RunConfig& c) { c.augment = parse_augmentations(v, "--augment"); }),
    shared("seed", [](const char* f, const std::string& v,
                      RunConfig& c) { c.seed = static_cast<std::uint64_t>(non_negative(f, v)); }),
    own("split", "FILE", "reuse a split.json", "",
        [](const char*, const std::string& v, RunConfig& c) { c.split = v; }),
    own("folds", "K", "cross-validation: deal the non-test patients into K folds (0: none)", "0",
        [](const char* f, const std::string& v, RunConfig& c) {
          c.folds.count = static_cast<int>(in_range<std::int64_t>(f, v, 0, 1000, "0 to 1000"));
        }),
    own("fold", "k", "cross-validation: the fold that validates, 0 ... K-1", "0",
        [](const char* f, const std::string& v, RunConfig& c) {
          c.folds.fold = static_cast<int>(in_range<std::int64_t>(f, v, 0, 999, "0 to 999"));
        }),
    own("val-every", "N", "validate every N epochs (and after the last)", "1",
        [](const char* f, const std::string& v, RunConfig& c) { c.val_every = positive(f, v); }),
    shared("nsd-tolerance", [](const char* f, const std::string& v,
                               RunConfig& c) { c.nsd_tolerance_mm = number(f, v); }),
    switch_flag("val-metrics",
                "also score each validation's HD95 per class into metrics.csv (costs time)",
                [](const char*, const std::string& v, RunConfig& c) { c.val_metrics = on(v); }),
    own("init-from", "CKPT",
        "fine-tune: a new run from a model file, loading each tensor whose name and shape fit "
        "(the rest fresh: the head for other classes, the first convolution for other "
        "channels); the run takes its network, mode, spacing, patch or size, and normalisation",
        "", [](const char*, const std::string& v, RunConfig& c) { c.init_from = v; }),
    own("resume", "DIR", "continue the run in DIR exactly where it stopped", "",
        [](const char*, const std::string& v, RunConfig& c) { c.resuming = !v.empty(); }),
    switch_flag("retest", "with --resume of a finished run: run its test phase again",
                [](const char*, const std::string& v, RunConfig& c) { c.retest = on(v); }),
    shared("phantoms",
           [](const char* f, const std::string& v, RunConfig& c) { c.phantoms = positive(f, v); }),
    shared("phantom-size", [](const char* f, const std::string& v,
                              RunConfig& c) { c.phantom_size = triple(f, v); }),
    shared("threads",
           [](const char* f, const std::string& v, RunConfig& c) {
             c.threads = static_cast<int>(in_range<std::int64_t>(f, v, 0, 4096, "0 to 4096"));
           }),
    switch_flag("sync-bn",
                "under mpirun: BatchNorm's batch statistics over every rank's micro-batch",
                [](const char*, const std::string& v, RunConfig& c) { c.sync_bn = on(v); }),
    shared("deterministic",
           [](const char*, const std::string& v, RunConfig& c) { c.deterministic = on(v); }),
    shared("cache", [](const char*, const std::string& v, RunConfig& c) { c.cache = v; }),
    shared("no-cache",
           [](const char*, const std::string& v, RunConfig& c) { c.use_cache = !on(v); }),
    own("interrupt-after", "N", "send this run SIGINT after N micro-batches (for testing resume)",
        "0",
        [](const char* f, const std::string& v,
           RunConfig& c) { c.interrupt_after = non_negative(f, v); }),
    own("interrupt-during", "preprocessing|test",
        "send this run SIGINT as the phase starts (for testing stops)", "",
        [](const char* f, const std::string& v, RunConfig& c) {
          if (!v.empty()) c.interrupt_during = one_of(f, v, {"preprocessing", "test"});
        }),
};

}  // namespace

const std::vector<RunFlag>& run_flags() {
  return kRunFlags;
}

const std::vector<std::string>& patch_mode_flags() {
  static const std::vector<std::string> flags = {"spacing", "patch", "iters", "overlap", "tta"};
  return flags;
}

void add_run_flags(Flags& flags) {
  for (const RunFlag& f : run_flags()) {
    if (f.shared)
      add_shared_flags(flags, {f.name});
    else if (*f.value_name == '\0')
      flags.add_switch(f.name, f.help);
    else
      flags.add(f.name, f.value_name, f.help, f.default_value);
  }
}

std::string run_setting(const RunSettings& settings, const RunFlag& flag) {
  if (const auto found = settings.find(flag.name); found != settings.end()) return found->second;
  const bool is_switch =
      flag.shared ? *shared_flag(flag.name).value_name == '\0' : *flag.value_name == '\0';
  if (is_switch) return "false";
  return flag.shared ? shared_flag(flag.name).default_value : flag.default_value;
}

}  // namespace unet3d
