// predict's memory, stated before its first case (docs/cli.md, "Memory"): an upper bound of the
// buffers predict holds for an input, from the input's headers and the models' settings, with as
// many cases in flight as the stages can hold; and the check that refuses, before anything is
// segmented, an input whose buffers would not fit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/nifti.h"
#include "layers/window_inference.h"
#include "runtime/device.h"
#include "runtime/dtype.h"
#include "tools/cohort/case_pipeline.h"
#include "tools/cohort/cohort_inputs.h"
#include "tools/model/checkpoint.h"

namespace unet3d {

// An input's size, from its headers.
struct InputExtent {
  std::string name;
  NiftiGeometry geometry;
  std::int64_t channels = 1;
  std::int64_t voxel_bytes = 4;        // the widest channel file's stored voxel
  std::int64_t label_voxel_bytes = 0;  // its label file's, 0 without one
};
InputExtent input_extent(const InputCase& input);

// What predict was asked to do, as far as its buffers depend on it.
struct PredictSettings {
  std::vector<ModelInfo> models;  // the ensemble's members
  Device device = Device::cpu;
  DType window_sums = DType::f32;  // the sliding window's (window_sum_dtype)
  WindowOptions window;
  bool probabilities = false, scoring = false;
  bool largest_component = false;  // --postprocess keeps some class's largest component
  bool overlapped = true;          // the stages overlap (case_pipeline.h), with these depths
  QueueDepths depths;
  std::size_t cases = 1;  // this process's
};

// The bytes an input's buffers may take at most, on the host and on the device (0 on the CPU,
// where everything is the host's), with the cases in flight that many.
struct MemoryBound {
  std::int64_t host = 0, device = 0;
  std::size_t in_flight = 1;
};
MemoryBound memory_bound(const InputExtent& input, const PredictSettings& settings);

// The memory predict may take besides what the models already hold: --memory-limit's bytes (for
// all of predict's buffers, the models' included), else what the host and the device report
// available now.
struct MemoryLimits {
  std::optional<std::int64_t> host_limit;  // --memory-limit
  std::int64_t host_available = 0, device_available = 0;
};

// With `state`, logs the bound for the largest input (and its exact bytes under --verbose),
// `models_host` and `models_device` (the bytes the loaded models hold) included; then throws a
// runtime Error naming every input whose buffers would not fit.
void check_memory(const std::vector<InputExtent>& inputs, const PredictSettings& settings,
                  std::int64_t models_host, std::int64_t models_device, const MemoryLimits& limits,
                  bool state);

// --memory-limit's value: bytes, or a number with K, M, G or T (powers of 1024); a usage Error
// naming the flag otherwise.
std::int64_t parse_byte_size(const std::string& text, const char* flag);

// "1.25 GiB", "310.0 MiB", "512 bytes".
std::string byte_text(std::int64_t bytes);

}  // namespace unet3d
