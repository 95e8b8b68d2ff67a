// Entry point of the GPU test executable: skipped, with the reason, where no GPU can be used.
#include "runtime/device.h"
#include "tests/support/runner.h"

int main(int argc, char** argv) {
  return unet3d::testing::run_catch_or_skip(argc, argv, [] {
    return unet3d::gpu_available() ? std::string()
                                   : "GPU tests need a GPU: " + unet3d::gpu_unavailable_reason();
  });
}
