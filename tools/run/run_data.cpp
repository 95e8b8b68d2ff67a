// A training run's data.
#include "tools/run/run_data.h"

#include "io/phantom.h"
#include "runtime/log.h"
#include "tools/run/memory_budget.h"

namespace unet3d {
namespace {

// A usage Error before anything large is allocated when the configuration cannot fit.
void refuse_if_too_large(const RunConfig& c, Device work, double dataset_voxels, double raw_voxels,
                         std::int64_t channels, const std::string& data_flags) {
  const MemoryNeed need = training_memory_need(c, dataset_voxels, raw_voxels, channels);
  const std::string shortfall = memory_shortfall(
      need, work == Device::cuda, static_cast<double>(available_memory(Device::cpu)),
      static_cast<double>(available_memory(work)),
      concat(c.patch_mode ? "--mode patch, " : "", "--size ", c.size, ", --batch ", c.batch,
             ", --features ", c.features, data_flags));
  if (!shortfall.empty()) throw Error(ErrorKind::usage, shortfall);
}

// Beyond this many voxels along an axis a resampled case is a spacing typed wrong.
constexpr double kMaxResampledSide = 1 << 16;

// A usage Error naming --spacing (or the median) and the case, before anything is allocated,
// where target spacing `t` would resample one of `cases` to fewer than 2 or more than 65536
// voxels along an axis.
void check_target_spacing(const RunConfig& c, const std::vector<CaseInfo>& cases,
                          const Spacing& t) {
  const auto text = [](const Spacing& zyx) { return concat(zyx[2], ",", zyx[1], ",", zyx[0]); };
  const std::string what =
      c.spacing ? concat("--spacing ", text(t))
                : concat("the target spacing ", text(t), " mm (the training cases' median)");
  for (const CaseInfo& h : cases) {
    const Spacing native = spacing_of(h.geometry);
    const double sides[3] = {static_cast<double>(h.geometry.nz) * native[0] / t[0],
                             static_cast<double>(h.geometry.ny) * native[1] / t[1],
                             static_cast<double>(h.geometry.nx) * native[2] / t[2]};
    for (int a = 2; a >= 0; --a)  // x first, as the user writes it
      if (!(sides[a] + 0.5 >= 2 && sides[a] <= kMaxResampledSide))
        throw Error(ErrorKind::usage,
                    concat(what, ": case ", h.name, " (", h.geometry.nx, "x", h.geometry.ny, "x",
                           h.geometry.nz, " voxels of ", text(native), " mm) would have ", sides[a],
                           " voxels along ", "zyx"[a],
                           ", outside [2, 65536]: choose a spacing in millimetres near the "
                           "cases' own"));
  }
}

// --spacing, or the choice made from the cases' native grids, checked.
Spacing target_spacing(const RunConfig& c, const std::vector<CaseInfo>& cases,
                       const SpacingChoice& choose) {
  const Spacing t = c.spacing ? *c.spacing : choose(cases);
  check_target_spacing(c, cases, t);
  log_info("patch mode: target spacing ", xyz_text(t), " mm (x,y,z)",
           c.spacing ? "" : ", the training cases' median");
  return t;
}

// The voxels of resize mode's dataset, cases x size^3.
double resized_voxels(const RunConfig& c, std::size_t cases) {
  return static_cast<double>(cases) * static_cast<double>(c.size) * static_cast<double>(c.size) *
         static_cast<double>(c.size);
}

// The voxels of patch mode's dataset: every case's grid at `target`; `largest`: what the flags
// part of a memory refusal adds about the case that costs the most.
double resampled_voxels(const std::vector<CaseInfo>& cases, const Spacing& target,
                        std::string& largest) {
  double voxels = 0, most = -1;
  for (const CaseInfo& h : cases) {
    const Grid grid = resampled_grid_of(h.geometry, target);
    voxels += static_cast<double>(grid.voxels());
    if (static_cast<double>(grid.voxels()) > most) {
      most = static_cast<double>(grid.voxels());
      largest = concat("; the largest case, ", h.name, ", is ", xyz_text(grid), " voxels at ",
                       xyz_text(target), " mm");
    }
  }
  return voxels;
}

// How the class count was found where nothing named the classes, and the classes that (almost)
// no case holds, from the labels training sees.
void describe_classes(const RunData& d, const RunConfig& c, const DatasetIndex& index) {
  const int classes = d.num_classes();
  if (c.classes == 0 && index.class_names.empty())
    log_info(classes, " classes, inferred from the label files (their largest value plus one, at ",
             "least 2): no dataset.json names the classes and --classes is not given");
  const std::size_t n = d.cases().size();
  std::vector<std::int64_t> holding(static_cast<std::size_t>(classes), 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* labels = nullptr;
    std::size_t voxels = 0;
    if (d.patch_mode) {
      labels = d.resampled.volumes[i].labels.data(), voxels = d.resampled.volumes[i].labels.size();
    } else {
      const Tensor one = d.host.label(i);
      labels = one.data_as<std::uint8_t>(), voxels = static_cast<std::size_t>(one.numel());
    }
    std::vector<bool> present(holding.size(), false);
    for (std::size_t v = 0; v < voxels; ++v) present[labels[v]] = true;
    for (std::size_t k = 0; k < holding.size(); ++k) holding[k] += present[k];
  }
  for (std::size_t k = 1; k < holding.size(); ++k)
    if (holding[k] * 100 < static_cast<std::int64_t>(n))
      log_warn("class ", k, " (", d.class_names()[k], ") is in ", holding[k], " of the ", n,
               " cases (fewer than 1 %) as training sees them: its Dice will rest on almost ",
               "nothing (are the labels or the class count right?)");
}

RunData load_files(const RunConfig& c, Device work, const SpacingChoice& choose) {
  const DatasetIndex index = discover_dataset(c.data, c.layout);
  for (const std::string& path : index.unmatched) log_warn("no image/label partner for ", path);
  const std::string data_flags = concat(" (", index.cases.size(), " cases in ", c.data, ")");
  PreprocessReport report;
  RunData d;
  d.patch_mode = c.patch_mode;
  d.normalization = parse_normalization(c.normalization, index.channels, "--normalization");
  if (c.patch_mode) {
    std::vector<CaseInfo> headers;
    for (const CasePaths& p : index.cases)
      headers.push_back(
          {p.name, p.patient, p.images, p.label, read_nifti_geometry(p.images.front())});
    const Spacing target = target_spacing(c, headers, choose);
    std::string largest;
    const double voxels = resampled_voxels(headers, target, largest);
    refuse_if_too_large(c, work, voxels, 0, index.channels,
                        concat(" (", index.cases.size(), " cases in ", c.data, largest, ")"));
    d.resampled = resample_dataset(index, target, c.classes, work, {c.use_cache, c.cache}, &report,
                                   d.normalization);
  } else {
    refuse_if_too_large(c, work, resized_voxels(c, index.cases.size()), 0, index.channels,
                        data_flags);
    d.host = preprocess_dataset(index, c.size, c.classes, work, {c.use_cache, c.cache}, &report,
                                d.normalization);
  }
  d.cache_file = report.cache_file;
  log_info(d.cases().size(), " cases from ", c.data,
           (report.from_cache ? ", loaded from the cache " : ", preprocessed "), "in ",
           report.seconds, " s");
  std::string channel_names;
  for (const std::string& name : index.channel_names)
    channel_names += (channel_names.empty() ? ": " : ", ") + name;
  log_info(index.channels, " input channel(s)", channel_names);
  describe_classes(d, c, index);
  // The paths, copied: the labels are read again at the end, for native-resolution scores.
  std::vector<CasePaths> paths;
  for (const CaseInfo& info : d.cases())
    paths.push_back({info.name, info.patient, info.image_paths, info.label_path});
  const int classes_found = d.num_classes();
  d.native_labels = [paths, classes_found](std::size_t i) {  // the label file alone
    return class_labels(read_nifti(paths[i].label).values, classes_found, paths[i].label);
  };
  d.native_image = [paths](std::size_t i) { return read_nifti(paths[i].images.front()).values; };
  return d;
}

// No data: phantoms generated in memory, the same generator as make_phantoms.
RunData load_phantoms(const RunConfig& c, Device work, const SpacingChoice& choose) {
  const std::vector<std::int64_t> grid = c.phantom_size;
  const double raw_voxels =
      static_cast<double>(grid[0]) * static_cast<double>(grid[1]) * static_cast<double>(grid[2]);
  const NiftiGeometry geometry = phantom_geometry(grid[0], grid[1], grid[2]);
  const std::uint64_t seed = c.seed;
  // Every phantom has this grid, so patch mode's default target spacing is its own, and a
  // --spacing checked against the first is checked against all (before any list is made).
  if (c.patch_mode && c.spacing)
    check_target_spacing(c, {{phantom_cases(1, seed)[0].name(), "", {}, "", geometry}}, *c.spacing);
  const double case_voxels =
      !c.patch_mode ? resized_voxels(c, 1)
      : c.spacing   ? static_cast<double>(resampled_grid_of(geometry, *c.spacing).voxels())
                    : raw_voxels;
  refuse_if_too_large(c, work, static_cast<double>(c.phantoms) * case_voxels, raw_voxels, 1,
                      concat(", --phantoms ", c.phantoms, ", --phantom-size ", grid[0], ",",
                             grid[1], ",", grid[2]));
  const std::vector<PhantomCase> phantoms = phantom_cases(static_cast<int>(c.phantoms), seed);
  std::vector<CaseInfo> infos;
  for (const PhantomCase& p : phantoms)
    infos.push_back({p.name(), p.name().substr(0, 8), {}, "", {}});
  const auto make = [phantoms, grid, seed](std::size_t i) {
    return make_phantom(phantoms[i], grid[0], grid[1], grid[2], seed);
  };
  const auto load = [&](std::size_t i) {
    Phantom p = make(i);
    LoadedCase loaded;
    loaded.image = p.image_volume();
    loaded.labels = std::move(p.labels);
    return loaded;
  };
  const int classes = c.classes > 0 ? c.classes : 6;
  RunData d;
  d.patch_mode = c.patch_mode;
  d.normalization = parse_normalization(c.normalization, 1, "--normalization");
  if (c.patch_mode) {
    std::vector<CaseInfo> headers = infos;
    for (CaseInfo& h : headers) h.geometry = geometry;
    d.resampled = resample_cases(infos, load, target_spacing(c, headers, choose), classes,
                                 hipmri_class_names(), work, d.normalization);
  } else {
    d.host =
        preprocess_cases(infos, load, c.size, classes, hipmri_class_names(), work, d.normalization);
  }
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

RunData load_run_data(const RunConfig& c, Device work, const SpacingChoice& choose_spacing) {
  return c.data.empty() ? load_phantoms(c, work, choose_spacing)
                        : load_files(c, work, choose_spacing);
}

void resolve_settings(RunSettings& settings, const RunData& data, Grid patch) {
  if (settings["classes"] == "auto") settings["classes"] = std::to_string(data.num_classes());
  if (data.patch_mode && settings["spacing"].empty())
    settings["spacing"] = xyz_text(data.resampled.spacing);
  if (data.patch_mode && settings["patch"].empty()) settings["patch"] = xyz_text(patch);
}

std::string resolved_text(const RunData& data, Grid patch) {
  return concat("resolved from the data: --classes ", data.num_classes(),
                data.patch_mode ? concat(", --spacing ", xyz_text(data.resampled.spacing),
                                         ", --patch ", xyz_text(patch))
                                : std::string(),
                "; preprocessing cache: ", data.cache_file.empty() ? "none" : data.cache_file);
}

}  // namespace unet3d
