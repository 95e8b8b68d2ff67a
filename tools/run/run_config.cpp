// Parsing and checking a run's settings.
#include "tools/run/run_config.h"

#include <algorithm>
#include <limits>
#include <set>
#include <sstream>

#include "io/json.h"
#include "io/normalization.h"
#include "io/resampled.h"
#include "layers/augmentation.h"
#include "runtime/atomic_file.h"
#include "runtime/error.h"
#include "runtime/log.h"
#include "tools/model/network_text.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

[[noreturn]] void bad(const std::string& flag, const std::string& value, const std::string& what) {
  throw Error(ErrorKind::usage, concat("--", flag, ": '", value, "' is not ", what));
}

// settings[flag] as a number of type T in [low, high].
template <class T>
T in_range(const RunSettings& s, const std::string& flag, T low, T high, const char* what) {
  const std::string& text = s.at(flag);
  T v{};
  std::istringstream in(text);
  if (!(in >> v) || !in.eof() || v < low || v > high) bad(flag, text, what);
  return v;
}

const std::string& one_of(const RunSettings& s, const std::string& flag,
                          const std::set<std::string>& allowed) {
  const std::string& text = s.at(flag);
  if (!allowed.count(text)) {
    std::string list;
    for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
    bad(flag, text, "one of " + list);
  }
  return text;
}

std::vector<std::int64_t> triple(const RunSettings& s, const std::string& flag) {
  std::vector<std::int64_t> out;
  std::istringstream in(s.at(flag));
  for (std::string part; std::getline(in, part, ',');) {
    RunSettings one{{flag, part}};
    out.push_back(in_range<std::int64_t>(one, flag, 1, 1 << 16, "X,Y,Z of positive integers"));
  }
  if (out.size() == 1) out = {out[0], out[0], out[0]};
  if (out.size() != 3) bad(flag, s.at(flag), "X,Y,Z (1 or 3 values)");
  return out;
}

LossKind loss_kind(const std::string& word) {
  if (word == "ce") return LossKind::ce;
  if (word == "wce") return LossKind::wce;
  if (word == "combined") return LossKind::combined;
  if (word == "dicece") return LossKind::dicece;
  return LossKind::dice;
}

}  // namespace

RunConfig parse_run_config(const RunSettings& s) {
  constexpr std::int64_t kMany = std::numeric_limits<std::int64_t>::max();
  constexpr double kAny = std::numeric_limits<double>::max();
  const auto positive = [&](const char* flag) {
    return in_range<std::int64_t>(s, flag, 1, kMany, "a positive integer");
  };
  const auto non_negative = [&](const char* flag) {
    return in_range<std::int64_t>(s, flag, 0, kMany, "a non-negative integer");
  };
  const auto number = [&](const char* flag) {
    return in_range<double>(s, flag, 0.0, kAny, "a non-negative number");
  };
  RunConfig c;
  c.data = s.at("data"), c.out = s.at("out"), c.split = s.at("split"), c.cache = s.at("cache");
  c.folds.count = static_cast<int>(in_range<std::int64_t>(s, "folds", 0, 1000, "0 to 1000"));
  c.folds.fold = static_cast<int>(in_range<std::int64_t>(s, "fold", 0, 999, "0 to 999"));
  if (c.folds.count == 1)
    throw Error(ErrorKind::usage, "--folds 1: cross-validation needs at least 2 folds");
  if (c.folds.count == 0 && s.at("fold") != "0")
    throw Error(ErrorKind::usage, "--fold applies with --folds K only");
  if (c.folds.count > 0 && c.folds.fold >= c.folds.count)
    throw Error(ErrorKind::usage, concat("--fold ", c.folds.fold, " is not in 0 ... ",
                                         c.folds.count - 1, " (--folds ", c.folds.count, ")"));
  if (c.folds.count > 0 && !c.split.empty())
    throw Error(ErrorKind::usage,
                "--folds and --split exclude each other: the file fixes the split");
  c.layout = parse_layout(s.at("layout"), "--layout");
  c.device = parse_device_choice(s.at("device"));
  c.precision = parse_precision_choice(s.at("precision"));
  c.size = positive("size"), c.features = positive("features"), c.depth = positive("depth");
  if (s.at("classes") != "auto")
    c.classes = static_cast<int>(in_range<std::int64_t>(s, "classes", 2, 32, "auto, or 2 to 32"));
  c.loss.kind = loss_kind(one_of(s, "loss", {"dice", "ce", "wce", "combined", "dicece"}));
  c.loss.exclude_background = s.at("dice-exclude-background") == "true";
  c.loss.alpha = number("alpha"), c.loss.beta = number("beta");
  c.epochs = positive("epochs"), c.batch = positive("batch"), c.accum = positive("accum");
  c.val_every = positive("val-every");
  c.lr = number("lr"), c.weight_decay = number("weight-decay");
  c.optimizer = parse_optimizer(s.at("optimizer"), "--optimizer");
  c.momentum = in_range<double>(s, "momentum", 0.0, 0.999999, "in [0, 1)");
  c.lr_schedule = parse_lr_schedule(s.at("lr-schedule"), "--lr-schedule");
  c.warmup_epochs = non_negative("warmup-epochs");
  if (c.warmup_epochs > 0 && c.lr_schedule != LrSchedule::cosine)
    throw Error(ErrorKind::usage, "--warmup-epochs applies to --lr-schedule cosine only");
  if (c.warmup_epochs >= c.epochs && c.warmup_epochs > 0)
    throw Error(ErrorKind::usage, concat("--warmup-epochs ", c.warmup_epochs,
                                         " leaves none of the ", c.epochs, " epochs to decay"));
  c.nsd_tolerance_mm = number("nsd-tolerance");
  c.augment = parse_augmentations(s.at("augment"), "--augment");
  c.use_cache = s.at("no-cache") != "true";
  c.deterministic = s.at("deterministic") == "true";
  c.val_metrics = s.at("val-metrics") == "true";
  c.sync_bn = s.count("sync-bn") != 0 && s.at("sync-bn") == "true";
  c.seed = static_cast<std::uint64_t>(non_negative("seed"));
  c.phantoms = positive("phantoms");
  c.phantom_size = triple(s, "phantom-size");
  c.threads = static_cast<int>(in_range<std::int64_t>(s, "threads", 0, 4096, "0 to 4096"));
  c.interrupt_after = non_negative("interrupt-after");
  if (!s.at("interrupt-during").empty())
    c.interrupt_during = one_of(s, "interrupt-during", {"preprocessing", "test"});
  c.resuming = !s.at("resume").empty();
  c.retest = s.count("retest") != 0 && s.at("retest") == "true";
  if (c.retest && !c.resuming) throw Error(ErrorKind::usage, "--retest applies with --resume only");
  // A run folder from before these flags existed trained the original network.
  const auto setting = [&](const char* flag, const char* absent) {
    return s.count(flag) ? s.at(flag) : std::string(absent);
  };
  c.kernel_sizes = sizes_of_text(setting("kernel-sizes", ""), "--kernel-sizes");
  c.pool_sizes = sizes_of_text(setting("pool-sizes", ""), "--pool-sizes");
  if (setting("max-features", "none") != "none")
    c.max_features =
        in_range<std::int64_t>(s, "max-features", 1, kMany, "none, or a positive integer");
  c.norm = parse_norm(setting("norm", "batch"), "--norm");
  c.activation = parse_activation(setting("activation", "relu"), "--activation");
  c.deep_supervision = setting("deep-supervision", "false") == "true";
  c.normalization = setting("normalization", "zscore");
  parse_normalization(c.normalization,  // its form now, its channel count with the data
                      std::count(c.normalization.begin(), c.normalization.end(), ';') + 1,
                      "--normalization");
  c.plan = setting("plan", "none");
  if (c.plan.empty()) bad("plan", c.plan, "none, auto or a plan.json");
  c.memory_gb = s.count("memory-gb")
                    ? in_range<double>(s, "memory-gb", 1e-12, 1e6, "a positive size in GB")
                    : 8.0;
  if (c.depth > 10) throw Error(ErrorKind::usage, concat("--depth ", c.depth, " (at most 10)"));
  const UNetConfig network = network_config(c, 1, 2);
  network.check();
  if (c.sync_bn && c.norm == NormKind::instance)
    throw Error(ErrorKind::usage,
                "--sync-bn with --norm instance: instance norm has nothing to synchronise");
  const Grid multiple = network.total_pool();
  // Resize mode's input is a cube of --size: every axis's pooling must divide it.
  if (c.size % multiple.d != 0 || c.size % multiple.h != 0 || c.size % multiple.w != 0)
    throw Error(ErrorKind::usage,
                multiple.is_cube()
                    ? concat("--size ", c.size, " cannot be halved --depth ", c.depth, " times")
                    : concat("--size ", c.size, " is not a multiple of the total pooling ",
                             xyz_text(multiple), " (x,y,z) of --pool-sizes"));
  c.patch_mode = one_of(s, "mode", {"resize", "patch"}) == "patch";
  c.iters = non_negative("iters");
  c.overlap = in_range<double>(s, "overlap", 0.0, 0.999999, "in [0, 1)");
  c.mirror = one_of(s, "tta", {"none", "mirror"}) == "mirror";
  if (!s.at("spacing").empty()) c.spacing = spacing_of_xyz(s.at("spacing"), "--spacing");
  if (!s.at("patch").empty()) {
    c.patch = grid_of_xyz(s.at("patch"), "--patch");
    if (c.patch->d % multiple.d != 0 || c.patch->h % multiple.h != 0 ||
        c.patch->w % multiple.w != 0)
      throw Error(ErrorKind::usage,
                  multiple.is_cube()
                      ? concat("--patch ", s.at("patch"), ": each side must be a ",
                               "multiple of 2^depth = ", multiple.d, " (--depth ", c.depth, ")")
                      : concat("--patch ", s.at("patch"), ": each side must be a multiple of ",
                               "the total pooling ", xyz_text(multiple), " (x,y,z)"));
  }
  return c;
}

UNetConfig network_config(const RunConfig& c, std::int64_t in_channels, std::int64_t classes) {
  UNetConfig n{in_channels, classes, c.features, c.depth};
  n.kernel_sizes = c.kernel_sizes, n.pool_sizes = c.pool_sizes;
  n.max_features = c.max_features, n.norm = c.norm, n.activation = c.activation;
  n.deep_supervision = c.deep_supervision;
  return n;
}

void write_run_config(const std::string& path, const RunSettings& s,
                      const std::string& command_line, Device device,
                      const std::string& cache_file) {
  std::ostringstream out;
  out << "{\n  \"version\": " << json::quote(kVersion)
      << ",\n  \"commit\": " << json::quote(kCommit)
      << ",\n  \"command_line\": " << json::quote(command_line)
      << ",\n  \"device\": " << json::quote(describe_device(device))
      << ",\n  \"cache_file\": " << json::quote(cache_file) << ",\n  \"settings\": {";
  bool first = true;
  for (const auto& [key, value] : s) {
    out << (first ? "\n" : ",\n") << "    " << json::quote(key) << ": " << json::quote(value);
    first = false;
  }
  out << "\n  }\n}\n";
  write_file_atomically(path, out.str());
}

void log_run_header(const RunSettings& settings, const std::string& command_line, Device device) {
  log_info("unet3d trainer ", kVersion, " (", kCommit, ")");
  log_info("command line: ", command_line);
  log_info("device: ", describe_device(device), ", precision ", settings.at("precision"));
  for (const auto& [key, value] : settings)
    log_info("  --", key, " ", value.empty() ? "(none)" : value);
}

}  // namespace unet3d
