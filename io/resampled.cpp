// Patch mode's preprocessing through its cache.
#include "io/resampled.h"

#include <chrono>
#include <cmath>

#include "io/cache_file.h"
#include "io/preprocess_parts.h"
#include "runtime/interrupt.h"
#include "runtime/log.h"

namespace unet3d {
namespace fs = std::filesystem;
using namespace preprocess_parts;

Spacing spacing_of(const NiftiGeometry& g) {
  return {g.dz, g.dy, g.dx};
}

Grid resampled_grid_of(const NiftiGeometry& g, const Spacing& target) {
  return resampled_grid({g.nz, g.ny, g.nx}, spacing_of(g), target);
}

std::vector<float> resampled_image(const NiftiVolume& volume, const Spacing& target, Device work,
                                   const std::string& source, const Normalization& normalization) {
  const Grid grid = resampled_grid_of(volume.geometry, target);
  const Shape shape{1, grid.d, grid.h, grid.w, volume.channels};
  std::vector<float> image(static_cast<std::size_t>(shape.numel()));
  Tensor host = Tensor::view(image.data(), shape, DType::f32, Device::cpu);
  if (work == Device::cpu) {  // straight into the result: no copy of the image
    preprocess_channels(volume, host, source, normalization);
    return image;
  }
  Tensor out(shape, DType::f32, work);
  preprocess_channels(volume, out, source, normalization);
  host.copy_from(out);
  return image;
}

ResampledDataset resample_cases(std::vector<CaseInfo> cases,
                                const std::function<LoadedCase(std::size_t)>& load,
                                const Spacing& target, int num_classes,
                                const std::vector<std::string>& class_names, Device work,
                                const Normalization& normalization) {
  ResampledDataset d;
  d.spacing = target;
  int largest = 0;
  ProgressBar bar("preprocessing", static_cast<std::int64_t>(cases.size()));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    stop_if_interrupted("preprocessing");
    const LoadedCase loaded = load(i);
    const Grid grid = resampled_grid_of(loaded.image.geometry, target);
    if (i == 0) d.channels = loaded.image.channels;  // every case's (discovery checks it)
    Tensor image({1, grid.d, grid.h, grid.w, loaded.image.channels}, DType::f32, work);
    Tensor labels({1, grid.d, grid.h, grid.w, 1}, DType::u8, work);
    largest = std::max(largest,
                       prepare_case(loaded, cases[i], num_classes, image, labels, normalization));
    const Tensor image_host = image.to(Device::cpu), labels_host = labels.to(Device::cpu);
    ResampledVolume v;
    v.grid = grid;
    v.image.assign(image_host.data_as<float>(), image_host.data_as<float>() + image_host.numel());
    v.labels.assign(labels_host.data_as<std::uint8_t>(),
                    labels_host.data_as<std::uint8_t>() + labels_host.numel());
    d.volumes.push_back(std::move(v));
    bar.advance();
  }
  bar.finish();
  finish_dataset(d, std::move(cases), num_classes, largest, class_names);
  return d;
}

ResampledDataset resample_dataset(const DatasetIndex& index, const Spacing& target, int num_classes,
                                  Device work, const CacheOptions& cache, PreprocessReport* report,
                                  const Normalization& normalization) {
  return through_cache<ResampledDataset>(
      cache, index, "patch " + xyz_text(target), num_classes, normalization, report,
      read_resampled_cache,
      [&](std::vector<CaseInfo> cases, const CaseLoader& load, int limit) {
        return resample_cases(std::move(cases), load, target, limit, index.class_names, work,
                              normalization);
      },
      [&](const ResampledDataset& d, const CacheExpectation& expected) {
        if (xyz_text(d.spacing) != xyz_text(target))
          return concat("it holds volumes at ", xyz_text(d.spacing), " mm, not ", xyz_text(target));
        return stale_difference(d.cases, d.channels, d.num_classes, d.class_names, expected);
      });
}

}  // namespace unet3d
