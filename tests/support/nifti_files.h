// Writing small NIfTI files for tests with nifticlib directly (not the project's writer), in any
// datatype, so reading is tested against an independent writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unet3d::testing {

struct RawVolume {
  std::int64_t nx = 1, ny = 1, nz = 1, nt = 1;
  int datatype = 16;  // NIFTI_TYPE_FLOAT32
  double slope = 0, inter = 0;
  std::vector<double> values;  // nx * ny * nz * nt, x fastest
};

void write_raw_nifti(const std::string& path, const RawVolume& v);

// A 4 x 3 x 2 image (uint8, 10 ... 33) and its labels (float32 holding the integers i % (top + 1),
// as some real files do), their folders created.
void write_small_pair(const std::string& image, const std::string& label, int top_label = 2);

}  // namespace unet3d::testing
