// The workspaces: a thread-local Buffer on the CPU, the CUDA context's on the GPU.
#include "runtime/workspace.h"

#include "runtime/buffer.h"
#include "runtime/gpu_runtime.h"
#include "unet3d/build_config.h"

namespace unet3d {

void* workspace(Device device, std::size_t bytes) {
  if constexpr (kBuiltWithCuda)
    if (device == Device::cuda) return gpu::workspace(bytes);
  thread_local Buffer host;
  if (bytes > host.bytes()) host = Buffer(bytes, Device::cpu);
  return host.data();
}

}  // namespace unet3d
