// The CUDA runtime as the CPU side of the code sees it: plain C++ declarations, defined in
// runtime/cuda_context.cpp (the unet3d_cuda target). CPU code calls them only under
// `if constexpr (kBuiltWithCuda)`, so a CPU-only build never needs their definitions.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "runtime/device.h"

namespace unet3d::gpu {

// Asks the CUDA runtime for a device; on failure fills `reason` and returns false.
bool detect(std::string& reason);

// cudaSetDevice(index); an index beyond the GPUs present is a usage Error.
void set_device(int index);

void* allocate(std::size_t bytes);
void release(void* pointer) noexcept;
// Copies bytes between any two devices on the context's stream and waits for the copy, so the
// host side may be read or reused at once.
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device,
                std::size_t bytes);
void synchronize();
// Milliseconds the work `run` queues on the context's stream takes, by CUDA events.
double time_ms(const std::function<void()>& run);
// The card's L2 cache size in bytes.
std::size_t l2_cache_bytes();
// The card's free memory in bytes (cudaMemGetInfo).
std::size_t free_bytes();
// "NVIDIA H100 ..., CUDA runtime 13.0, cuDNN 9.19.0", for logs and config.json.
std::string describe();
// The CUDA context's grow-only workspace (runtime/workspace.h).
void* workspace(std::size_t bytes);

// Page-locked host memory, which an asynchronous copy from the device can land in.
void* allocate_pinned(std::size_t bytes);
void release_pinned(void* pointer) noexcept;
// Queues a copy of `bytes` from device memory into pinned `dst` on the context's stream, then
// records `event` (created on first use; an opaque cudaEvent_t) behind it. Nothing waits.
void copy_to_host_async(void* dst, const void* src, std::size_t bytes, void*& event);
// Whether the work before `event` has finished (never waits), and waiting for it.
bool event_done(void* event);
void wait_for_event(void* event);
void destroy_event(void* event) noexcept;

}  // namespace unet3d::gpu
