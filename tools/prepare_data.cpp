// prepare_data: finds a dataset, loads and preprocesses it (filling the cache the trainer reads),
// and says what it found and how long it took.
#include <cstdio>

#include "io/preprocess.h"
#include "io/resampled.h"
#include "io/split.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/log.h"
#include "runtime/shared_flags.h"

namespace {

using namespace unet3d;

// What --help says the tool does (its flags: define_flags).
constexpr char kSummary[] =
    "Loads a HipMRI or Decathlon dataset, resizes (or, for patch mode, resamples) and\n"
    "normalises every case, and caches the result so that training starts at once. Patch mode\n"
    "needs --spacing (the trainer's default, the training cases' median, is in its train.log).";

void define_flags(Flags& flags) {
  add_shared_flags(flags, {"data", "layout", "mode", "size", "spacing", "classes"});
  flags.add_alias("num-classes", "classes");
  add_shared_flags(flags, {"cache", "no-cache", "device", "threads"});
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "prepare_data", kSummary, define_flags, [&](const Flags& flags) {
    if (!flags.given("data")) throw Error(ErrorKind::usage, "--data is required (see --help)");
    apply_thread_count(flags);
    const DatasetIndex index =
        discover_dataset(flags.text("data"), parse_layout(flags.text("layout"), "--layout"));
    for (const std::string& path : index.unmatched) log_warn("no partner for ", path);
    const std::string mode = flags.text("mode");
    if (mode != "resize" && mode != "patch")
      throw Error(ErrorKind::usage, concat("--mode: '", mode, "' is not one of resize, patch"));
    if (mode == "patch" && !flags.given("spacing"))
      throw Error(ErrorKind::usage, "--mode patch needs --spacing X,Y,Z (mm)");
    const int classes = class_count(flags, 32);
    const Device device = parse_device(flags.text("device"));
    const CacheOptions cache{!flags.on("no-cache"), flags.text("cache")};
    PreprocessReport report;
    std::size_t cases = 0;
    int num_classes = 0;
    std::vector<std::string> class_names;
    std::vector<std::int64_t> counts;
    std::string grid;
    if (mode == "patch") {
      const Spacing spacing = spacing_of_xyz(flags.text("spacing"), "--spacing");
      const ResampledDataset data =
          resample_dataset(index, spacing, classes, device, cache, &report);
      counts.assign(static_cast<std::size_t>(data.num_classes), 0);
      for (const ResampledVolume& v : data.volumes)
        for (const std::uint8_t label : v.labels) ++counts[label];
      cases = data.cases.size(), num_classes = data.num_classes, class_names = data.class_names;
      grid = xyz_text(spacing) + " mm";
    } else {
      const PreprocessedDataset data =
          preprocess_dataset(index, flags.integer("size"), classes, device, cache, &report);
      std::vector<std::size_t> all(data.cases.size());
      for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
      counts = class_voxel_counts(data, all);
      cases = data.cases.size(), num_classes = data.num_classes, class_names = data.class_names;
      grid = concat(data.size, "^3");
    }
    double total = 0;
    for (const std::int64_t c : counts) total += static_cast<double>(c);
    std::printf("%zu cases, %d classes, %s in %.2f s%s%s\nclass voxel fractions at %s:", cases,
                num_classes, report.from_cache ? "loaded from the cache" : "preprocessed",
                report.seconds, report.cache_file.empty() ? "" : "; cache ",
                report.cache_file.c_str(), grid.c_str());
    for (std::size_t k = 0; k < counts.size(); ++k)
      std::printf(" %s %.4f%%", class_names[k].c_str(),
                  100.0 * static_cast<double>(counts[k]) / total);
    std::printf("\n");
    return 0;
  });
}
