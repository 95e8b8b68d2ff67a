// Buffer: a move-only owner of bytes on one device, and the process-wide allocation counters
// that let a test prove a training loop allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/device.h"

namespace unet3d {

struct MemoryStats {
  std::int64_t allocations = 0;         // Buffers ever allocated, either device
  std::int64_t live_bytes[2] = {0, 0};  // by Device: cpu, cuda
  std::int64_t peak_bytes[2] = {0, 0};
};

MemoryStats memory_stats();
// Peaks from now on: each device's peak becomes its live bytes (a test measures one phase).
void reset_memory_peaks();

class Buffer {
 public:
  Buffer() = default;
  Buffer(std::size_t bytes, Device device);
  ~Buffer();
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void reset() noexcept;

  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  Device device_ = Device::cpu;
};

}  // namespace unet3d
