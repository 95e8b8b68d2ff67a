// Two-channel data on disk for the end-to-end tests: phantoms in the Decathlon layout, channel 0
// the phantom's own contrast and channel 1 an inverted, rescaled one (as T2 is to T1, roughly).
#pragma once

#include <filesystem>
#include <string>

#include "io/phantom.h"

namespace unet3d::testing {

// folder/<name>_0000.nii.gz (int16) and folder/<name>_0001.nii.gz (float32) of phantom `p`.
void write_channel_files(const std::filesystem::path& folder, const std::string& name,
                         const Phantom& p);

// A scratch folder `name` holding 12 phantom cases of 32x32x16 (seed 5) with both channels,
// labelsTr/ and a dataset.json naming the channels T1 and T2 and the HipMRI classes.
std::filesystem::path two_channel_dataset(const std::string& name);

}  // namespace unet3d::testing
