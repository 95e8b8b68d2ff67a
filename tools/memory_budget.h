// What a training configuration needs in memory, estimated from the flags before anything is
// allocated, so that an impossible --size, --phantom-size or --phantoms is refused with the figure
// (exit 2) instead of ending in an allocation failure or the kernel's OOM killer.
#pragma once

#include <cstdint>
#include <string>

#include "tools/run_config.h"

namespace unet3d {

// Lower bounds, in bytes: every figure counts only buffers the run certainly holds at once.
struct MemoryNeed {
  double dataset = 0;   // the preprocessed cases: f32 image channels and a u8 label per voxel
  double network = 0;   // the first level's activations and gradients (21 tensors, see .cpp)
  double raw_case = 0;  // one case at its native grid while it is preprocessed
  bool dataset_on_device = true;  // resize mode copies the dataset to the GPU; patch mode does not
};

// A dataset of `dataset_voxels` voxels in all once preprocessed (resize mode: cases x size^3;
// patch mode: the sum of the grids at the target spacing) of `channels` input channels, of at
// most `raw_voxels` per case as read. The network's input is size^3 voxels, or the --patch given
// if that is larger.
MemoryNeed training_memory_need(const RunConfig& c, double dataset_voxels, double raw_voxels,
                                std::int64_t channels);

// "" when `need` fits: the host holds the dataset and a raw case; the device, the network and
// (on a GPU, in resize mode) a copy of the dataset. Otherwise a message naming the flags and the
// figures.
std::string memory_shortfall(const MemoryNeed& need, bool on_gpu, double host_available,
                             double device_available, const std::string& flags);

}  // namespace unet3d
