// predict's buffers for one input, bounded from above; every term names the code that holds it.
#include "tools/cohort/memory_bound.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "io/resampled.h"
#include "runtime/error.h"
#include "runtime/log.h"

namespace unet3d {
namespace {

constexpr std::int64_t kF32 = 4;
// The per-thread and per-call odds and ends no formula follows (the surface metrics' line
// buffers, file names, the queues' bookkeeping).
constexpr std::int64_t kSundries = std::int64_t{16} << 20;

// Bytes on the host and on the network's device (the host's too, on the CPU).
struct Bytes {
  std::int64_t host = 0, device = 0;
};

// One case's buffers through the stages (tools/cohort/case_stages.cpp), host and device apart.
struct CaseBytes {
  std::int64_t read_peak = 0;       // read_channels and the labels, while reading (host)
  std::int64_t read_held = 0;       // a read case: its channels and labels (host)
  Bytes segment;                    // segmenting, beyond the read case
  std::int64_t segmented_held = 0;  // a segmented case: labels, probabilities, truth (host)
  std::int64_t postprocess = 0;     // keep_largest_components beside it (host)
  std::int64_t write_extra = 0;     // writing: the planar probabilities or the scores (host)
};

// The model's grid probabilities of the input (Segmenter::grid_probabilities): its peak while
// they are computed, and what stays once they are.
struct GridBytes {
  Bytes peak, result;
};

GridBytes grid_bytes(const ModelInfo& m, const InputExtent& in, const PredictSettings& s) {
  const bool gpu = s.device == Device::cuda;
  const std::int64_t n = in.geometry.voxels(), ci = in.channels, c = m.config.num_classes;
  GridBytes b;
  // preprocess_channels: on a GPU each channel is copied there first; several channels are
  // normalised one by one and concatenated (one, the gathered ones, the next).
  const auto preprocess = [&](std::int64_t grid) {
    return (gpu ? n * kF32 : 0) + (ci > 1 ? (1 + 2 * ci) * grid * kF32 : 0);
  };
  if (m.mode == InputMode::resize) {
    const std::int64_t grid = Grid::cube(m.input_size).voxels();  // the input is the network's
    // An f16 network's input is prepared in f32 first (preprocess_channels).
    const std::int64_t wide = s.window_sums == DType::f16 ? grid * ci * kF32 : 0;
    b.result.device = grid * c * kF32;
    b.peak.device = std::max(preprocess(grid) + wide, b.result.device);
    return b;
  }
  const Grid g = resampled_grid_of(in.geometry, m.spacing);
  const std::int64_t grid = g.voxels(), patch = m.patch.voxels();
  const auto padded_side = [](std::int64_t side, std::int64_t p) { return std::max(side, p); };
  const std::int64_t padded =
      padded_side(g.d, m.patch.d) * padded_side(g.h, m.patch.h) * padded_side(g.w, m.patch.w);
  const std::int64_t sums = dtype_size(s.window_sums);
  // resampled_image's result (and on a GPU the image there first), the window's result, its
  // sums where the grid is padded, the weights' sums, and one batch of windows four times over
  // (gathered, staged, on the device, and their probabilities the same); mirroring adds a
  // mirrored image and one more result.
  const std::int64_t window_batch = 2 * patch * (ci + c) * kF32;
  b.peak.host = grid * ci * kF32 + grid * c * sums + (padded != grid ? padded * c * sums : 0) +
                padded * kF32 + 2 * window_batch +
                (s.window.mirror ? grid * ci * kF32 + grid * c * sums : 0);
  b.peak.device = preprocess(grid) + (gpu ? grid * ci * kF32 : 0) + window_batch;
  b.result.host = gpu ? 0 : grid * c * sums;
  b.result.device = gpu ? grid * c * sums : 0;
  return b;
}

CaseBytes case_bytes(const InputExtent& in, const PredictSettings& s) {
  const std::int64_t n = in.geometry.voxels(), ci = in.channels;
  const std::int64_t c = s.models.front().config.num_classes;
  CaseBytes b;
  // read_nifti: the stored bytes and their f32 values; read_channels gathers several channels in
  // one vector. The labels: their bytes, values and u8 classes beside the channels.
  const std::int64_t one_file = n * (in.voxel_bytes + kF32);
  b.read_held = ci * n * kF32 + (s.scoring ? n : 0);
  b.read_peak = std::max(ci == 1 ? one_file : ci * n * kF32 + one_file,
                         s.scoring ? ci * n * kF32 + n * (in.label_voxel_bytes + kF32) + n : 0);
  // Segmenter::segment: the labels (and the native probabilities) on the device, beside each
  // model's grid probabilities in turn; an ensemble sums resized probabilities in two native
  // volumes; f16 probabilities are widened to f32 before they are resized as they are.
  const bool ensemble = s.models.size() > 1;
  const std::int64_t native_out = n + (s.probabilities ? n * c * kF32 : 0);
  std::int64_t peak_host = 0, peak_device = 0;
  for (const ModelInfo& m : s.models) {
    const GridBytes g = grid_bytes(m, in, s);
    const std::int64_t grid_values = (g.result.host + g.result.device) / dtype_size(s.window_sums);
    const std::int64_t widened =
        s.window_sums != DType::f32 && (ensemble || s.probabilities) ? grid_values * kF32 : 0;
    // The ensemble's two native volumes exist before its members' probabilities are computed.
    const std::int64_t native_sums = ensemble ? 2 * n * c * kF32 : 0;
    peak_host = std::max({peak_host, g.peak.host, g.result.host});
    peak_device =
        std::max(peak_device, native_sums + std::max(g.peak.device, g.result.device + widened));
  }
  b.segment = {peak_host, peak_device + native_out};
  if (s.device == Device::cpu) b.segment = {b.segment.host + b.segment.device, 0};
  // What the writer gets: the labels, the probabilities and the truth (copied from a GPU, moved
  // on the CPU); a GPU also holds the truth to count the overlap there.
  b.segmented_held = n + (s.probabilities ? n * c * kF32 : 0) + (s.scoring ? n : 0);
  if (s.device == Device::cuda && s.scoring) b.segment.device += n;
  // keep_largest_components: a mask (u8), the component of each voxel (i32) and the search's
  // queue (i64: as it grows past a capacity of up to the grid's voxels, the old block and the
  // doubled one for a moment).
  b.postprocess = s.largest_component ? n + 4 * n + 24 * n : 0;
  // write_probabilities' planar copy; a class's surface metrics over at most the whole grid:
  // two masks and two surfaces (u8) and two distance maps (f64).
  b.write_extra = std::max(s.probabilities ? n * c * kF32 : 0, s.scoring ? 20 * n : 0);
  return b;
}

std::string extent_text(const InputExtent& in) {
  const NiftiGeometry& g = in.geometry;
  return concat(in.name, " (", g.nx, "x", g.ny, "x", g.nz, " voxels, ", in.channels,
                in.channels == 1 ? " channel)" : " channels)");
}

}  // namespace

InputExtent input_extent(const InputCase& input) {
  InputExtent e{input.name, {}, static_cast<std::int64_t>(input.channels.size()), 0, 0};
  for (const std::string& path : input.channels) {
    std::int64_t bytes = 0;
    e.geometry = read_nifti_geometry(path, bytes);
    e.voxel_bytes = std::max(e.voxel_bytes, bytes);
  }
  if (!input.label.empty()) read_nifti_geometry(input.label, e.label_voxel_bytes);
  return e;
}

MemoryBound memory_bound(const InputExtent& input, const PredictSettings& s) {
  UNET3D_USAGE_CHECK(!s.models.empty(), "memory_bound: no models");
  const CaseBytes b = case_bytes(input, s);
  MemoryBound bound;
  bound.device = b.segment.device;
  // In turn (or with one case, which cannot overlap): one stage at a time.
  const std::int64_t segmenting = b.read_held + b.segment.host;
  if (!s.overlapped || s.cases <= 1) {
    bound.host = kSundries + std::max({b.read_peak, segmenting, b.segmented_held + b.postprocess,
                                       b.segmented_held + b.write_extra});
    return bound;
  }
  // Overlapped: a case being read and the read queue's; one being segmented (or, done, waiting
  // for the writer); the segmented queue's and one being written.
  const auto queued = [&](std::size_t depth) {
    return static_cast<std::int64_t>(std::min(depth, s.cases));
  };
  bound.host = kSundries + b.read_peak + queued(s.depths.read) * b.read_held +
               std::max(segmenting, b.segmented_held + b.postprocess) +
               queued(s.depths.segmented) * b.segmented_held + b.segmented_held + b.write_extra;
  bound.in_flight = std::min(s.cases, s.depths.read + s.depths.segmented + 3);
  return bound;
}

void check_memory(const std::vector<InputExtent>& inputs, const PredictSettings& settings,
                  std::int64_t models_host, std::int64_t models_device, const MemoryLimits& limits,
                  bool state) {
  if (inputs.empty()) return;
  std::vector<MemoryBound> bounds;
  std::size_t largest = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    bounds.push_back(memory_bound(inputs[i], settings));
    if (bounds[i].host + bounds[i].device > bounds[largest].host + bounds[largest].device)
      largest = i;
  }
  const MemoryBound& top = bounds[largest];
  const bool gpu = settings.device == Device::cuda;
  const std::string host_room = limits.host_limit
                                    ? concat(byte_text(*limits.host_limit), " --memory-limit")
                                    : concat(byte_text(limits.host_available), " available");
  if (state) {
    log_info(
        "memory: at most ", byte_text(models_host + top.host), " on the host for the largest ",
        "input, ", extent_text(inputs[largest]), ": the models ", byte_text(models_host),
        ", its buffers ", byte_text(top.host), " (", top.in_flight, " case",
        top.in_flight == 1 ? "" : "s", " in flight); ", host_room,
        gpu ? concat("; on the GPU ", byte_text(models_device + top.device), " (the models ",
                     byte_text(models_device), "), ", byte_text(limits.device_available), " free")
            : "");
    log_debug("memory bound: host ", models_host + top.host, " bytes, device ",
              models_device + top.device, " bytes");
  }
  std::string refused;
  std::size_t count = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const MemoryBound& b = bounds[i];
    const bool host_short = limits.host_limit ? models_host + b.host > *limits.host_limit
                                              : b.host > limits.host_available;
    const bool device_short = gpu && b.device > limits.device_available;
    if (!host_short && !device_short) continue;
    if (++count > 5) continue;
    refused += concat(count > 1 ? "; " : "", extent_text(inputs[i]), " needs up to ",
                      host_short ? concat(byte_text((limits.host_limit ? models_host : 0) + b.host),
                                          " on the host, more than the ", host_room)
                                 : concat(byte_text(b.device), " on the GPU, more than the ",
                                          byte_text(limits.device_available), " free"));
  }
  if (count == 0) return;
  throw Error(
      ErrorKind::runtime,
      concat(
          count == 1 ? "an input" : concat(count, " inputs"),
          " would not fit in memory, so none was segmented: ", refused,
          count > 5 ? concat("; and ", count - 5, " more") : "",
          ". Fewer models, no --probabilities",
          settings.overlapped && settings.cases > 1 ? ", --no-pipeline (one case at a time)" : "",
          " or a larger --memory-limit need less"));
}

std::int64_t parse_byte_size(const std::string& text, const char* flag) {
  double number = 0;
  char unit = 0, extra = 0;
  const int fields = std::sscanf(text.c_str(), "%lf%c%c", &number, &unit, &extra);
  const std::string units = "KMGT";
  const std::size_t power = fields == 2 ? units.find(static_cast<char>(std::toupper(unit))) : 0;
  if (fields < 1 || fields > 2 || power == std::string::npos || !std::isfinite(number) ||
      number <= 0)
    throw Error(ErrorKind::usage, concat("--", flag, " '", text,
                                         "': not a size (bytes, or a number with K, M, G or T)"));
  return static_cast<std::int64_t>(number * std::pow(1024.0, fields == 2 ? power + 1 : 0));
}

std::string byte_text(std::int64_t bytes) {
  const auto b = static_cast<double>(bytes);
  char text[32];
  if (b >= 1024.0 * 1024 * 1024)
    std::snprintf(text, sizeof text, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024)
    std::snprintf(text, sizeof text, "%.1f MiB", b / (1024.0 * 1024));
  else
    std::snprintf(text, sizeof text, "%lld bytes", static_cast<long long>(bytes));
  return text;
}

}  // namespace unet3d
