// Preprocessing, its cache, residency and batch slots.
#include "io/preprocess.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>

#include "io/cache_file.h"
#include "io/preprocess_parts.h"
#include "kernels/channels.h"
#include "kernels/elementwise.h"
#include "kernels/reduce.h"
#include "kernels/resize.h"
#include "runtime/interrupt.h"
#include "runtime/log.h"

namespace unet3d {
namespace fs = std::filesystem;
using namespace preprocess_parts;
namespace {

double scalar(const Tensor& t) {
  const Tensor host = t.to(Device::cpu);
  return host.dtype() == DType::f64 ? host.data_as<double>()[0] : host.data_as<float>()[0];
}

// A data Error naming `source` where the image holds NaN or inf.
void check_finite(const Tensor& image, const std::string& source) {
  Tensor count(Shape::scalar(), DType::f64, image.device());
  count_nonfinite({image, count});
  if (const double bad = scalar(count); bad > 0)
    throw_error(ErrorKind::data, concat(source, ": ", bad, " voxels are NaN or infinite"), __FILE__,
                __LINE__);
}

}  // namespace

Tensor PreprocessedDataset::image(std::size_t i) const {
  return images.item(static_cast<std::int64_t>(i));
}
Tensor PreprocessedDataset::label(std::size_t i) const {
  return labels.item(static_cast<std::int64_t>(i));
}

PreprocessedDataset PreprocessedDataset::to(Device device, DType dtype) const {
  PreprocessedDataset d;
  d.size = size, d.num_classes = num_classes, d.class_names = class_names, d.cases = cases;
  d.labels = labels.to(device);
  const Tensor moved = images.to(device);
  d.images = Tensor(images.shape(), dtype, device);
  cast({moved, d.images});
  return d;
}

void preprocess_image(const Tensor& image, Tensor& out, const std::string& source) {
  check_finite(image, source);
  resize_trilinear({image, out});
  Tensor total(Shape::scalar(), DType::f64, out.device()),
      squares(Shape::scalar(), DType::f64, out.device());
  sum({out, total});
  sum_of_squares({out, squares});
  const auto n = static_cast<double>(out.numel());
  const double mean = scalar(total) / n;
  const double std = std::sqrt(std::max(scalar(squares) / n - mean * mean, 0.0));
  const double inv = 1.0 / std::max(std, 1e-8);
  affine({out, inv, -mean * inv, out});
}

void preprocess_channels(const NiftiVolume& volume, Tensor& out, const std::string& source,
                         const Normalization& normalization) {
  const NiftiGeometry& g = volume.geometry;
  const std::int64_t channels = volume.channels;
  UNET3D_USAGE_CHECK(out.shape().n == 1 && out.shape().c == channels &&
                         static_cast<std::int64_t>(volume.values.size()) == g.voxels() * channels,
                     "preprocess_channels: ", channels, " channels of ", g.voxels(), " voxels in ",
                     volume.values.size(), " values, into ", out.describe());
  if (out.dtype() != DType::f32) {  // a network's f16 input: prepared in f32, then cast
    Tensor wide(out.shape(), DType::f32, out.device());
    preprocess_channels(volume, wide, source, normalization);
    cast({wide, out});
    return;
  }
  // Channel c where `out` lives: on the CPU the volume's own values, not a native-size copy.
  const auto channel = [&](std::int64_t c) {
    const Tensor values = Tensor::view(const_cast<float*>(volume.values.data()) + c * g.voxels(),
                                       {1, g.nz, g.ny, g.nx, 1}, DType::f32, Device::cpu);
    return out.device() == Device::cpu ? values.alias() : values.to(out.device());
  };
  const auto normalise = [&](std::int64_t c, Tensor& into, const std::string& what) {
    const ChannelNormalization n = c < static_cast<std::int64_t>(normalization.size())
                                       ? normalization[static_cast<std::size_t>(c)]
                                       : ChannelNormalization{};
    if (!n.ct) return preprocess_image(channel(c), into, what);
    const Tensor image = channel(c);
    check_finite(image, what);
    resize_trilinear({image, into});
    const double inv = 1.0 / std::max(n.std, 1e-8);
    clip_affine({into, n.lo, n.hi, inv, -n.mean * inv, into});
  };
  if (channels == 1) return normalise(0, out, source);
  // Each channel on its own, then appended to the ones before it (concat_channels).
  Tensor one(out.shape().with_channels(1), out.dtype(), out.device()), gathered;
  for (std::int64_t c = 0; c < channels; ++c) {
    normalise(c, one, concat(source, " (channel ", c, ")"));
    if (c == 0) {
      gathered = Tensor(one.shape(), one.dtype(), one.device());
      copy({one, gathered});
      continue;
    }
    Tensor next = c + 1 == channels
                      ? out.alias()
                      : Tensor(out.shape().with_channels(c + 1), out.dtype(), out.device());
    concat_channels({gathered, one, next});
    gathered = std::move(next);
  }
}

PreprocessedDataset preprocess_dataset(const DatasetIndex& index, std::int64_t size,
                                       int num_classes, Device work, const CacheOptions& cache,
                                       PreprocessReport* report,
                                       const Normalization& normalization) {
  return through_cache<PreprocessedDataset>(
      cache, index, std::to_string(size), num_classes, normalization, report, read_resized_cache,
      [&](std::vector<CaseInfo> cases, const CaseLoader& load, int limit) {
        return preprocess_cases(std::move(cases), load, size, limit, index.class_names, work,
                                normalization);
      },
      [&](const PreprocessedDataset& d, const CacheExpectation& expected) {
        if (d.size != size) return concat("it holds volumes of ", d.size, "^3, not ", size, "^3");
        return stale_difference(d.cases, d.channels(), d.num_classes, d.class_names, expected);
      });
}

PreprocessedDataset preprocess_cases(std::vector<CaseInfo> cases,
                                     const std::function<LoadedCase(std::size_t)>& load,
                                     std::int64_t size, int num_classes,
                                     const std::vector<std::string>& class_names, Device work,
                                     const Normalization& normalization) {
  UNET3D_USAGE_CHECK(size >= 1, "--size: ", size, " (must be positive)");
  PreprocessedDataset d;
  d.size = size;
  const auto n = static_cast<std::int64_t>(cases.size());
  const Shape one{1, size, size, size, 1}, all{n, size, size, size, 1};
  if (cases.empty()) d.images = Tensor(all, DType::f32);  // else sized by the first case
  d.labels = Tensor(all, DType::u8);
  int largest = 0;
  Tensor out_image, out_labels(one, DType::u8, work);
  ProgressBar bar("preprocessing", n);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    stop_if_interrupted("preprocessing");
    const LoadedCase loaded = load(i);
    if (i == 0) {  // the first case's channel count is every case's (discovery checks it)
      d.images = Tensor(all.with_channels(loaded.image.channels), DType::f32);
      out_image = Tensor(one.with_channels(loaded.image.channels), DType::f32, work);
    }
    const int top =
        prepare_case(loaded, cases[i], num_classes, out_image, out_labels, normalization);
    Tensor image_slot = d.image(i), label_slot = d.label(i);
    image_slot.copy_from(out_image);
    label_slot.copy_from(out_labels);
    largest = std::max(largest, top);
    bar.advance();
  }
  bar.finish();
  finish_dataset(d, std::move(cases), num_classes, largest, class_names);
  return d;
}

void copy_case(const PreprocessedDataset& data, std::size_t index, Tensor& image_slot,
               Tensor& label_slot) {
  copy({data.image(index), image_slot});
  copy({data.label(index), label_slot});
}

void copy_batch(const PreprocessedDataset& data, const std::vector<std::size_t>& cases,
                Tensor& images, Tensor& labels) {
  UNET3D_USAGE_CHECK(static_cast<std::int64_t>(cases.size()) == images.shape().n,
                     "copy_batch: ", cases.size(), " cases for ", images.describe());
  for (std::size_t b = 0; b < cases.size(); ++b) {
    Tensor image_slot = images.item(static_cast<std::int64_t>(b)),
           label_slot = labels.item(static_cast<std::int64_t>(b));
    copy_case(data, cases[b], image_slot, label_slot);
  }
}

}  // namespace unet3d
