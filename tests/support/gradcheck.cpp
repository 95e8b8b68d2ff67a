// The gradient-check helper.
#include "tests/support/gradcheck.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>

#include "runtime/rng.h"

namespace unet3d::testing {

Comparison gradient_check(const std::string& name, Tensor& param, const Tensor& analytic,
                          const std::function<double()>& loss, const GradCheckOptions& options) {
  UNET3D_USAGE_CHECK(param.dtype() == DType::f64 && !param.is_cuda(), "gradient_check: parameter ",
                     param.describe(), " must be f64 on the CPU");
  UNET3D_USAGE_CHECK(analytic.shape() == param.shape(), "gradient_check: gradient ",
                     analytic.describe(), " does not match ", param.describe());
  std::vector<std::int64_t> probes(static_cast<std::size_t>(param.numel()));
  std::iota(probes.begin(), probes.end(), 0);
  Rng rng(static_cast<std::uint64_t>(param.numel()) * 7919);
  for (std::size_t i = probes.size(); i > 1; --i)  // Fisher-Yates, then keep the first few
    std::swap(probes[i - 1], probes[rng.below(i)]);
  probes.resize(std::min<std::size_t>(probes.size(), static_cast<std::size_t>(options.max_probes)));

  double* p = param.data_as<double>();
  const std::vector<double> exact = to_doubles(analytic);
  std::vector<double> numeric, expected;
  for (std::int64_t i : probes) {
    const double original = p[i];
    const double h = options.step * std::max(1.0, std::abs(original));
    p[i] = original + h;
    const double up = loss();
    p[i] = original - h;
    const double down = loss();
    p[i] = original;
    numeric.push_back((up - down) / (2 * h));
    expected.push_back(exact[static_cast<std::size_t>(i)]);
  }
  const Comparison c = compare(numeric, expected, tolerance(options.check));
  std::printf("gradcheck %s: norm-wise relative error %.3g over %zu probes\n", name.c_str(),
              c.norm_rel_error, probes.size());
  return c;
}

}  // namespace unet3d::testing
