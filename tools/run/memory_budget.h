// What a training configuration needs in memory, estimated from the flags before anything is
// allocated, so that an impossible --size, --phantom-size or --phantoms is refused with the figure
// (exit 2) instead of ending in an allocation failure or the kernel's OOM killer.
#pragma once

#include <cstdint>
#include <string>

#include "layers/unet_config.h"
#include "tools/run/run_config.h"

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

// An upper bound, in bytes, of what one f32 training step of the network `c` at `batch` x `grid`
// holds on its device (the plan sizes patches and batches with it): each term counts every buffer
// of its kind, as the network plans them.
struct StepMemory {
  double activations = 0;  // the arena: every level's activations, their gradients, statistics
  double parameters = 0;   // values, gradients and two optimizer moments (Adam's; SGD keeps one)
  double loss = 0;         // the label maps of every output and the loss's sums
  double workspace = 0;    // the largest convolution's scratch (padded input, packed weights,
                           // `threads` partial weight gradients, the transposed blocks)
  double total() const { return activations + parameters + loss + workspace; }
};
StepMemory training_step_memory(const UNetConfig& c, std::int64_t batch, Grid grid,
                                std::int64_t threads);

}  // namespace unet3d
