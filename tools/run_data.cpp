// A training run's data.
#include "tools/run_data.h"

#include "io/phantom.h"
#include "runtime/log.h"
#include "tools/memory_budget.h"

namespace unet3d {
namespace {

// A usage Error before anything large is allocated when the configuration cannot fit.
void refuse_if_too_large(const RunConfig& c, Device work, std::int64_t cases, double raw_voxels,
                         const std::string& data_flags) {
  const MemoryNeed need = training_memory_need(c, cases, raw_voxels);
  const std::string shortfall = memory_shortfall(
      need, work == Device::cuda, static_cast<double>(available_memory(Device::cpu)),
      static_cast<double>(available_memory(work)),
      concat("--size ", c.size, ", --batch ", c.batch, ", --features ", c.features, data_flags));
  if (!shortfall.empty()) throw Error(ErrorKind::usage, shortfall);
}

RunData load_files(const RunConfig& c, Device work) {
  const DatasetIndex index = discover_dataset(c.data, c.layout);
  for (const std::string& path : index.unmatched) log_warn("no image/label partner for ", path);
  refuse_if_too_large(c, work, static_cast<std::int64_t>(index.cases.size()), 0,
                      concat(" (", index.cases.size(), " cases in ", c.data, ")"));
  PreprocessReport report;
  RunData d;
  d.host = preprocess_dataset(index, c.size, c.classes, work, {c.use_cache, c.cache}, &report);
  log_info(d.host.cases.size(), " cases from ", c.data,
           (report.from_cache ? ", loaded from the cache " : ", preprocessed "), "in ",
           report.seconds, " s");
  // The paths, copied: the labels are read again at the end, for native-resolution scores.
  std::vector<CasePaths> paths;
  for (const CaseInfo& info : d.host.cases)
    paths.push_back({info.name, info.patient, info.image_path, info.label_path});
  const int classes_found = d.host.num_classes;
  d.native_labels = [paths, classes_found](std::size_t i) {
    return load_case(paths[i], classes_found).labels;
  };
  d.native_image = [paths](std::size_t i) { return read_nifti(paths[i].image).values; };
  return d;
}

// No data: phantoms generated in memory, the same generator as make_phantoms.
RunData load_phantoms(const RunConfig& c, Device work) {
  const std::vector<std::int64_t> grid = c.phantom_size;
  refuse_if_too_large(
      c, work, c.phantoms,
      static_cast<double>(grid[0]) * static_cast<double>(grid[1]) * static_cast<double>(grid[2]),
      concat(", --phantoms ", c.phantoms, ", --phantom-size ", grid[0], ",", grid[1], ",",
             grid[2]));
  const std::uint64_t seed = c.seed;
  const std::vector<PhantomCase> phantoms = phantom_cases(static_cast<int>(c.phantoms), seed);
  std::vector<CaseInfo> infos;
  for (const PhantomCase& p : phantoms)
    infos.push_back({p.name(), p.name().substr(0, 8), "", "", {}});
  const auto make = [phantoms, grid, seed](std::size_t i) {
    return make_phantom(phantoms[i], grid[0], grid[1], grid[2], seed);
  };
  RunData d;
  d.host = preprocess_cases(
      infos,
      [&](std::size_t i) {
        Phantom p = make(i);
        LoadedCase loaded;
        loaded.image.geometry = p.geometry;
        loaded.image.values.assign(p.image.begin(), p.image.end());
        loaded.labels = std::move(p.labels);
        return loaded;
      },
      c.size, c.classes > 0 ? c.classes : 6, hipmri_class_names(), work);
  log_info(phantoms.size(), " phantom cases of ", grid[0], "x", grid[1], "x", grid[2],
           " generated in memory");
  d.native_labels = [make](std::size_t i) { return make(i).labels; };
  d.native_image = [make](std::size_t i) {
    const Phantom p = make(i);
    return std::vector<float>(p.image.begin(), p.image.end());
  };
  return d;
}

}  // namespace

RunData load_run_data(const RunConfig& c, Device work) {
  return c.data.empty() ? load_phantoms(c, work) : load_files(c, work);
}

}  // namespace unet3d
