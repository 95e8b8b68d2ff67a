// prepare_data: finds a dataset, loads and preprocesses it (filling the cache the trainer reads),
// and says what it found and how long it took.
#include <cstdio>

#include "io/preprocess.h"
#include "io/split.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/log.h"

namespace {

using namespace unet3d;

// What --help says the tool does (its flags: define_flags).
constexpr char kSummary[] =
    "Loads a HipMRI or Decathlon dataset, resizes and normalises every case, and caches\n"
    "the result so that training starts at once.";

void define_flags(Flags& flags) {
  flags.add("data", "DIR", "dataset folder");
  flags.add("layout", "auto|hipmri|msd", "dataset layout", "auto");
  flags.add("size", "S", "network input side (S^3 voxels)", "96");
  flags.add("classes", "C|auto", "number of classes", "auto");
  flags.add_alias("num-classes", "classes");
  flags.add("cache", "DIR", "cache folder (default $XDG_CACHE_HOME/unet3d)");
  flags.add_switch("no-cache", "neither read nor write the cache");
  flags.add("device", "auto|cpu|cuda", "where resizing runs", "auto");
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "prepare_data", kSummary, define_flags, [&](const Flags& flags) {
    if (!flags.given("data")) throw Error(ErrorKind::usage, "--data is required (see --help)");
    const DatasetIndex index =
        discover_dataset(flags.text("data"), parse_layout(flags.text("layout"), "--layout"));
    for (const std::string& path : index.unmatched) log_warn("no partner for ", path);
    PreprocessReport report;
    const PreprocessedDataset data = preprocess_dataset(
        index, flags.integer("size"),
        flags.text("classes") == "auto" ? 0 : static_cast<int>(flags.integer("classes")),
        parse_device(flags.text("device")), {!flags.on("no-cache"), flags.text("cache")}, &report);
    std::vector<std::size_t> all(data.cases.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    const std::vector<std::int64_t> counts = class_voxel_counts(data, all);
    double total = 0;
    for (const std::int64_t c : counts) total += static_cast<double>(c);
    std::printf("%zu cases, %d classes, %s in %.2f s%s%s\nclass voxel fractions at %lld^3:",
                data.cases.size(), data.num_classes,
                report.from_cache ? "loaded from the cache" : "preprocessed", report.seconds,
                report.cache_file.empty() ? "" : "; cache ", report.cache_file.c_str(),
                static_cast<long long>(data.size));
    for (std::size_t k = 0; k < counts.size(); ++k)
      std::printf(" %s %.4f%%", data.class_names[k].c_str(),
                  100.0 * static_cast<double>(counts[k]) / total);
    std::printf("\n");
    return 0;
  });
}
