// One case through predict: its files read, segmented on the device, written and scored.
#include "tools/cohort/case_stages.h"

#include <algorithm>
#include <filesystem>

#include "io/dataset.h"
#include "layers/conv3d.h"
#include "layers/scoring.h"
#include "runtime/log.h"
#include "scoring/postprocess.h"

namespace unet3d {
namespace {

namespace fs = std::filesystem;

// probabilities ([1, D, H, W, C] f32 on the host) as a NIfTI of C volumes on grid g: NIfTI wants
// the class axis slowest, (x, y, z, class).
void write_probabilities(const fs::path& path, const NiftiGeometry& g, const Tensor& p) {
  const std::int64_t classes = p.shape().c, voxels = g.voxels();
  std::vector<float> planar(static_cast<std::size_t>(p.numel()));
  for (std::int64_t v = 0; v < voxels; ++v)
    for (std::int64_t c = 0; c < classes; ++c)
      planar[static_cast<std::size_t>(c * voxels + v)] = p.data_as<float>()[v * classes + c];
  write_nifti(path.string(), g, planar.data(), NiftiStorage::f32, classes);
}

}  // namespace

CaseStages::CaseStages(const std::vector<InputCase>& cases, Segmenter& segmenter,
                       const std::vector<std::string>& class_names, PredictOutputs outputs)
    : cases_(cases),
      segmenter_(segmenter),
      outputs_(std::move(outputs)),
      any_largest_only_(std::find(outputs_.largest_only.begin(), outputs_.largest_only.end(),
                                  true) != outputs_.largest_only.end()),
      scores_(class_names, outputs_.nsd_tolerance_mm) {
  table_.class_names = class_names;
}

ReadCase CaseStages::read(std::size_t k) const {
  const InputCase& input = cases_[k];
  ReadCase c{k, read_channels(input.channels), {}};
  if (outputs_.scoring)
    c.truth = class_labels(read_nifti(input.label).values,
                           static_cast<int>(segmenter_.num_classes()), input.label);
  return c;
}

SegmentedCase CaseStages::segment(ReadCase c) {
  const std::string& path = cases_[c.index].channels.front();
  const std::int64_t classes = segmenter_.num_classes();
  const Device device = segmenter_.device();
  const NiftiGeometry g = c.volume.geometry;
  const Shape native{1, g.nz, g.ny, g.nx, 1};
  // The native-size probabilities (C times the volume) only where they are written.
  Tensor resampled =
      outputs_.probabilities ? Tensor(native.with_channels(classes), DType::f32, device) : Tensor();
  Tensor segmentation(native, DType::u8, device);
  segmenter_.segment(c.volume, path, segmentation, outputs_.probabilities ? &resampled : nullptr);
  c.volume.values = std::vector<float>();  // the input is done with: freed before what follows
  // On the CPU the results are on the host already: moved there, not copied.
  const auto to_host = [&](Tensor& t) {
    return device == Device::cpu ? std::move(t) : t.to(Device::cpu);
  };
  SegmentedCase s{c.index, g, to_host(segmentation), Tensor(), std::move(c.truth), {}};
  const Tensor& labels = device == Device::cpu ? s.labels : segmentation;
  if (any_largest_only_) {
    keep_largest_components(s.labels.data_as<std::uint8_t>(), {g.nz, g.ny, g.nx},
                            outputs_.largest_only);
    if (device != Device::cpu) segmentation.copy_from(s.labels);
  }
  if (c.index == 0 && !conv_planning_report().empty()) log_debug(conv_planning_report());
  if (outputs_.scoring) {
    const Tensor host_truth = Tensor::view(s.truth.data(), native, DType::u8, Device::cpu);
    const Tensor truth = device == Device::cpu ? host_truth.alias() : host_truth.to(device);
    Tensor counts({1, 1, 1, 3, classes}, DType::f64, device);
    overlap_counts(labels, truth, counts);
    const Tensor host_counts = counts.to(Device::cpu);
    s.counts.assign(host_counts.data_as<double>(), host_counts.data_as<double>() + 3 * classes);
  }
  if (outputs_.probabilities) s.probabilities = to_host(resampled);
  return s;
}

void CaseStages::write(SegmentedCase s) {
  const InputCase& input = cases_[s.index];
  const NiftiGeometry& g = s.geometry;
  const fs::path out = fs::path(outputs_.folder) / (input.name + "_seg.nii.gz");
  write_nifti(out.string(), g, s.labels.data(), NiftiStorage::u8);
  log_debug(input.channels.front(), " -> ", out.string());
  if (outputs_.probabilities)
    write_probabilities(fs::path(outputs_.folder) / (input.name + "_prob.nii.gz"), g,
                        s.probabilities);
  if (outputs_.scoring) {
    table_.add(input.name, s.counts.data());
    scores_.add(input.name, s.labels.data_as<std::uint8_t>(), s.truth.data(), grid_of(g));
  }
  ++written_;
  on_written();
}

}  // namespace unet3d
