// The memory lower bound of a training configuration.
#include "tools/memory_budget.h"

#include <algorithm>

#include "runtime/error.h"

namespace unet3d {
namespace {

std::string gigabytes(double bytes) {
  return concat(bytes / 1e9, " GB");
}

}  // namespace

MemoryNeed training_memory_need(const RunConfig& c, double dataset_voxels, double raw_voxels,
                                std::int64_t channels) {
  double voxels =
      static_cast<double>(c.size) * static_cast<double>(c.size) * static_cast<double>(c.size);
  if (c.patch_mode && c.patch) voxels = std::max(voxels, static_cast<double>(c.patch->voxels()));
  const double activation = c.precision == "fp16" ? 2 : 4;
  MemoryNeed need;
  const double image_bytes = 4 * static_cast<double>(channels);  // f32 per channel
  need.dataset = dataset_voxels * (image_bytes + 1);
  need.dataset_on_device = !c.patch_mode;
  // At the first level UNet3D plans six tensors per block (encoder and decoder), five more of
  // `features` channels and two of twice that (the concatenation and its gradient): 21 tensors of
  // batch x size^3 x features. The deeper levels only add to it.
  const double features = static_cast<double>(network_config(c, channels, 2).features(1));
  need.network = 21 * static_cast<double>(c.batch) * voxels * features * activation;
  // The image as read (f32 channels), its label map (u8) and the generator's or file's own copy
  // (<= 4 B).
  need.raw_case = raw_voxels * (image_bytes + 1 + 4);
  return need;
}

std::string memory_shortfall(const MemoryNeed& need, bool on_gpu, double host_available,
                             double device_available, const std::string& flags) {
  const double host = need.dataset + need.raw_case + (on_gpu ? 0 : need.network);
  const double device = need.network + (need.dataset_on_device ? need.dataset : 0);
  std::string what;
  if (host_available > 0 && host > host_available)
    what = concat("at least ", gigabytes(host), " of host memory (dataset ",
                  gigabytes(need.dataset), ", one raw case ", gigabytes(need.raw_case),
                  on_gpu ? "" : concat(", network ", gigabytes(need.network)), ") but ",
                  gigabytes(host_available), " are available");
  else if (on_gpu && device_available > 0 && device > device_available)
    what =
        concat("at least ", gigabytes(device), " of GPU memory (network ", gigabytes(need.network),
               need.dataset_on_device ? concat(", dataset ", gigabytes(need.dataset)) : "",
               ") but ", gigabytes(device_available), " are free");
  return what.empty() ? "" : concat(flags, ": this configuration needs ", what);
}

}  // namespace unet3d
