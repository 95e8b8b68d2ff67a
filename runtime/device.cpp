// GPU detection (once per process) and the --device word.
#include "runtime/device.h"

#include <omp.h>

#include <fstream>
#include <sstream>

#include "runtime/error.h"
#include "runtime/gpu_runtime.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

struct GpuState {
  bool available = false;
  std::string reason;
};

const GpuState& gpu_state() {
  static const GpuState state = [] {
    GpuState s;
    if constexpr (kBuiltWithCuda) {
      s.available = gpu::detect(s.reason);
    } else {
      s.reason = "this build has no CUDA backend (configured CPU-only)";
    }
    return s;
  }();
  return state;
}

}  // namespace

void choose_gpu(int local_rank) {
  if constexpr (kBuiltWithCuda)
    if (gpu_available()) gpu::set_device(local_rank);
}

bool gpu_available() {
  return gpu_state().available;
}

const std::string& gpu_unavailable_reason() {
  return gpu_state().reason;
}

std::optional<Device> parse_device_choice(std::string_view name) {
  if (name == "cpu") return Device::cpu;
  if (name == "auto") return std::nullopt;
  UNET3D_USAGE_CHECK(name == "cuda", "--device: unknown value '", name,
                     "' (expected cpu, cuda or auto)");
  return Device::cuda;
}

Device resolve_device(std::optional<Device> choice) {
  if (!choice) return gpu_available() ? Device::cuda : Device::cpu;
  // Asking for a GPU that is not there is a runtime failure (exit 1), not a typo.
  if (*choice == Device::cuda && !gpu_available())
    throw_error(ErrorKind::runtime,
                concat("--device cuda: no GPU can be used: ", gpu_unavailable_reason()), __FILE__,
                __LINE__);
  return *choice;
}

Device parse_device(std::string_view name) {
  return resolve_device(parse_device_choice(name));
}

std::string describe_device(Device device) {
  if (device == Device::cuda) {
    if constexpr (kBuiltWithCuda) return gpu::describe();
  }
  return concat("cpu (", omp_get_max_threads(), " threads)");
}

std::uint64_t available_memory(Device device) {
  if (device == Device::cuda) {
    if constexpr (kBuiltWithCuda)
      if (gpu_available()) return gpu::free_bytes();
    return 0;
  }
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    if (!line.starts_with("MemAvailable:")) continue;
    std::istringstream fields(line.substr(13));
    std::uint64_t kibibytes = 0;
    fields >> kibibytes;
    return kibibytes * 1024;
  }
  return 0;
}

}  // namespace unet3d
