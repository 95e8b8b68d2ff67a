// The test phase of a training run: the test report at network and native resolution, and the
// best and worst pictures, from the run's best checkpoint (its last where none is better).
// Every rank of a data-parallel run scores the test set with rank 0's weights, computing the
// same numbers; the rank that writes (rank 0) writes the report into out/test.
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

#include "tools/run/run_config.h"
#include "tools/run/run_data.h"
#include "tools/run/training.h"

namespace unet3d {

// `resident`: resize mode's dataset on the training device; `test` indexes data's cases.
void run_test_phase(Training& t, const RunData& data, const PreprocessedDataset& resident,
                    const std::vector<std::size_t>& test, const std::filesystem::path& out,
                    const RunConfig& c, bool writes);

}  // namespace unet3d
