// Buffer allocation on either device, counted. Host buffers are 64-byte aligned for SIMD loads.
#include "runtime/buffer.h"

#include <atomic>
#include <mutex>
#include <new>

#include "runtime/error.h"
#include "runtime/gpu_runtime.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

constexpr std::size_t kHostAlignment = 64;

struct Counters {
  std::mutex mutex;
  MemoryStats stats;
};

Counters& counters() {
  static Counters c;
  return c;
}

void count(Device device, std::int64_t delta_bytes, bool is_allocation) {
  Counters& c = counters();
  std::lock_guard lock(c.mutex);
  const int i = static_cast<int>(device);
  if (is_allocation) ++c.stats.allocations;
  c.stats.live_bytes[i] += delta_bytes;
  if (c.stats.live_bytes[i] > c.stats.peak_bytes[i]) c.stats.peak_bytes[i] = c.stats.live_bytes[i];
}

}  // namespace

void reset_memory_peaks() {
  Counters& c = counters();
  std::lock_guard lock(c.mutex);
  for (int i = 0; i < 2; ++i) c.stats.peak_bytes[i] = c.stats.live_bytes[i];
}

MemoryStats memory_stats() {
  Counters& c = counters();
  std::lock_guard lock(c.mutex);
  return c.stats;
}

Buffer::Buffer(std::size_t bytes, Device device) : bytes_(bytes), device_(device) {
  if (bytes == 0) return;
  if (device == Device::cuda) {
    UNET3D_USAGE_CHECK(gpu_available(), "cannot allocate ", bytes,
                       " bytes on the GPU: ", gpu_unavailable_reason());
    if constexpr (kBuiltWithCuda) data_ = gpu::allocate(bytes);
  } else {
    const std::size_t rounded = (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
    // Through operator new, so that a program counting its allocations (tests/support's
    // counting allocator) counts these too.
    data_ = ::operator new (rounded, std::align_val_t{kHostAlignment}, std::nothrow);
    if (data_ == nullptr)
      throw_error(ErrorKind::runtime, concat("out of host memory allocating ", bytes, " bytes"),
                  __FILE__, __LINE__);
  }
  count(device, static_cast<std::int64_t>(bytes), true);
}

Buffer::~Buffer() {
  reset();
}

Buffer::Buffer(Buffer&& other) noexcept
    : data_(other.data_), bytes_(other.bytes_), device_(other.device_) {
  other.data_ = nullptr;
  other.bytes_ = 0;
}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = other.data_;
    bytes_ = other.bytes_;
    device_ = other.device_;
    other.data_ = nullptr;
    other.bytes_ = 0;
  }
  return *this;
}

void Buffer::reset() noexcept {
  if (data_ == nullptr) return;
  if (device_ == Device::cuda) {
    if constexpr (kBuiltWithCuda) gpu::release(data_);
  } else {
    ::operator delete (data_, std::align_val_t{kHostAlignment});
  }
  count(device_, -static_cast<std::int64_t>(bytes_), false);
  data_ = nullptr;
  bytes_ = 0;
}

}  // namespace unet3d
