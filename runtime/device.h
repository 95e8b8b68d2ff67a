// Where a tensor lives, and whether this process can use a GPU at all. "No device" and "no
// driver" are the same normal state (no GPU); it is detected once per process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace unet3d {

enum class Device { cpu, cuda };

constexpr const char* device_name(Device d) {
  return d == Device::cpu ? "cpu" : "cuda";
}

// True when the build has the CUDA backend and a usable GPU is present.
bool gpu_available();
// Why gpu_available() is false (empty when it is true), e.g. "built without CUDA" or the
// runtime's answer to cudaGetDeviceCount.
const std::string& gpu_unavailable_reason();

// Makes GPU `local_rank` this process's device, before any CUDA work: each data-parallel rank
// on a machine its own card (more ranks than GPUs is a usage Error). Nothing without a GPU.
void choose_gpu(int local_rank);

// --device's value: "cpu" or "cuda", or "auto" (none: decided where the run starts). Any other
// word is a usage error naming the value.
std::optional<Device> parse_device_choice(std::string_view name);
// The device a choice runs on: auto is cuda when available, else cpu; cuda without a GPU is a
// runtime error saying why.
Device resolve_device(std::optional<Device> choice);
// Both at once.
Device parse_device(std::string_view name);

// What runs a device: "cpu (N threads)" or the GPU, CUDA and cuDNN versions.
std::string describe_device(Device device);

// Memory that can still be allocated on `device`, in bytes: the kernel's MemAvailable on the CPU
// (0 where /proc/meminfo cannot be read), cudaMemGetInfo's free memory on a GPU.
std::uint64_t available_memory(Device device);

}  // namespace unet3d
