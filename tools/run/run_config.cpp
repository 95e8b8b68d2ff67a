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
#include "tools/run/run_flags.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

// What the flags' values must satisfy together, once each is checked on its own.
void check_folds(const RunConfig& c) {
  if (c.folds.count == 1)
    throw Error(ErrorKind::usage, "--folds 1: cross-validation needs at least 2 folds");
  if (c.folds.count > 0 && c.folds.fold >= c.folds.count)
    throw Error(ErrorKind::usage, concat("--fold ", c.folds.fold, " is not in 0 ... ",
                                         c.folds.count - 1, " (--folds ", c.folds.count, ")"));
  if (c.folds.count > 0 && !c.split.empty())
    throw Error(ErrorKind::usage,
                "--folds and --split exclude each other: the file fixes the split");
}

void check_schedule(const RunConfig& c) {
  if (c.warmup_epochs > 0 && c.lr_schedule != LrSchedule::cosine)
    throw Error(ErrorKind::usage, "--warmup-epochs applies to --lr-schedule cosine only");
  if (c.warmup_epochs >= c.epochs && c.warmup_epochs > 0)
    throw Error(ErrorKind::usage, concat("--warmup-epochs ", c.warmup_epochs,
                                         " leaves none of the ", c.epochs, " epochs to decay"));
  if (c.retest && !c.resuming) throw Error(ErrorKind::usage, "--retest applies with --resume only");
}

// The network as a whole, and the sizes its total pooling must divide: resize mode's cube of
// --size and patch mode's --patch.
void check_network(const RunConfig& c) {
  if (c.depth > 10) throw Error(ErrorKind::usage, concat("--depth ", c.depth, " (at most 10)"));
  const UNetConfig network = network_config(c, 1, 2);
  network.check();
  if (c.sync_bn && c.norm == NormKind::instance)
    throw Error(ErrorKind::usage,
                "--sync-bn with --norm instance: instance norm has nothing to synchronise");
  const Grid multiple = network.total_pool();
  if (c.size % multiple.d != 0 || c.size % multiple.h != 0 || c.size % multiple.w != 0)
    throw Error(ErrorKind::usage,
                multiple.is_cube()
                    ? concat("--size ", c.size, " cannot be halved --depth ", c.depth, " times")
                    : concat("--size ", c.size, " is not a multiple of the total pooling ",
                             xyz_text(multiple), " (x,y,z) of --pool-sizes"));
  if (c.patch && (c.patch->d % multiple.d != 0 || c.patch->h % multiple.h != 0 ||
                  c.patch->w % multiple.w != 0))
    throw Error(ErrorKind::usage,
                multiple.is_cube()
                    ? concat("--patch ", xyz_text(*c.patch), ": each side must be a ",
                             "multiple of 2^depth = ", multiple.d, " (--depth ", c.depth, ")")
                    : concat("--patch ", xyz_text(*c.patch), ": each side must be a multiple of ",
                             "the total pooling ", xyz_text(multiple), " (x,y,z)"));
}

}  // namespace

RunConfig parse_run_config(const RunSettings& s) {
  RunConfig c;
  for (const RunFlag& flag : run_flags())
    if (flag.parse != nullptr) flag.parse(flag.name, run_setting(s, flag), c);
  check_folds(c);
  check_schedule(c);
  check_network(c);
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
