// For the GPU tests: REQUIREs that `op` on CUDA matches it on the CPU (verify/parity.h's
// check_parity) under the tolerance of `check`, printing the report when it does not.
#pragma once

#include "verify/parity.h"

namespace unet3d::testing {

void require_parity(const Op& op, const Tensors& inputs, const std::vector<OutputSpec>& outputs,
                    Check check);

}  // namespace unet3d::testing
