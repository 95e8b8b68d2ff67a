// make_phantoms: writes a synthetic pelvic dataset in the HipMRI layout (io/phantom.h).
#include <chrono>
#include <cstdio>

#include "io/dataset.h"
#include "io/phantom.h"
#include "runtime/error.h"
#include "runtime/flags.h"
#include "runtime/shared_flags.h"

namespace {

using namespace unet3d;

// What --help says the tool does (its flags: define_flags).
constexpr char kSummary[] =
    "Writes N synthetic pelvic MRI volumes and label maps in the HipMRI layout:\n"
    "OUT/semantic_MRs/Case_NNN_WeekM_LFOV.nii.gz and\n"
    "OUT/semantic_labels_only/Case_NNN_WeekM_SEMANTIC_LFOV.nii.gz.";

void define_flags(Flags& flags) {
  flags.add("out", "DIR", "folder to write (created if needed)");
  add_shared_flags(flags, {"phantoms", "phantom-size", "seed"});
  flags.add_alias("cases", "phantoms");
  flags.add_alias("size", "phantom-size");
}

}  // namespace

int main(int argc, char** argv) {
  return run_tool(argc, argv, "make_phantoms", kSummary, define_flags, [&](const Flags& flags) {
    if (!flags.given("out")) throw Error(ErrorKind::usage, "--out is required (see --help)");
    const std::uint64_t seed = seed_of(flags);
    const std::vector<std::int64_t> size = flags.triple("phantom-size");
    const std::int64_t cases = flags.integer("phantoms");
    if (cases < 1 || cases > 100000)
      throw Error(ErrorKind::usage, concat("--phantoms: ", cases, " (1 to 100000)"));
    const auto start = std::chrono::steady_clock::now();
    const std::vector<std::int64_t> counts = write_phantom_dataset(
        flags.text("out"), static_cast<int>(cases), size[0], size[1], size[2], seed);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double total = 0;
    for (const std::int64_t c : counts) total += static_cast<double>(c);
    std::printf("wrote %lld cases of %lldx%lldx%lld to %s in %.1f s\nclass voxel fractions:",
                static_cast<long long>(cases), static_cast<long long>(size[0]),
                static_cast<long long>(size[1]), static_cast<long long>(size[2]),
                flags.text("out").c_str(), seconds);
    for (std::size_t k = 0; k < counts.size(); ++k)
      std::printf(" %s %.4f%%", hipmri_class_names()[k].c_str(),
                  100.0 * static_cast<double>(counts[k]) / total);
    std::printf("\n");
    return 0;
  });
}
