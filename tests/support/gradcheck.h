// The gradient-check helper: central differences of a scalar function of an f64 CPU tensor,
// at a random subset of its elements, compared with the analytic gradient by the one
// comparison helper (tolerance Check::gradient_f64). Each check prints one line
// "gradcheck <name>: norm-wise relative error E over P probes" so a run lists every error.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "kernels/activation.h"
#include "runtime/tensor.h"
#include "verify/compare.h"

namespace unet3d::testing {

struct GradCheckOptions {
  int max_probes = 48;
  double step = 1e-6;  // relative to max(1, |value|)
  Check check = Check::gradient_f64;
};

// `loss` recomputes the function from the current contents of `param`, which is perturbed in
// place and restored. `analytic` holds dloss/dparam.
Comparison gradient_check(const std::string& name, Tensor& param, const Tensor& analytic,
                          const std::function<double()>& loss,
                          const GradCheckOptions& options = {});

// "", "+relu" or "+leakyrelu": a fused activation in a check's name.
inline const char* activation_suffix(Activation a) {
  return a == Activation::relu ? "+relu" : a == Activation::leaky_relu ? "+leakyrelu" : "";
}

}  // namespace unet3d::testing
