// The comparison helper and its tolerance table.
#include "verify/compare.h"

#include <cmath>

#include "runtime/half.h"

namespace unet3d {

Tolerance tolerance(Check check) {
  switch (check) {
    case Check::exact: return {0.0, 0.0, 0.0};
    case Check::gradient_f64: return {1e-6, 1e-7, 1e-4};
    // Through a whole network the loss is O(1) while one weight's derivative is O(1e-4), so the
    // loss's rounding alone costs central differences ~1e-6; and a probe's step may cross one
    // of the many ReLU and max-pool kinks it cannot be kept away from.
    case Check::gradient_network: return {1e-4, 1e-7, 1e-3};
    case Check::parity_f32: return {1e-5, 1e-6, 1e-4};
    case Check::parity_f16: return {1e-2, 1e-3, 1e-2};
    // A convolution's output sums 27 * C products and a weight gradient one per voxel: f32
    // rounds each partial sum at the partial sum's size, so an element that cancels to near 0
    // keeps an error of the size of the output's typical values, which rtol cannot cover.
    case Check::reduction_f32: return {1e-5, 0.0, 1e-4, 1e-5};
  }
  return {0.0, 0.0, 0.0};
}

std::string Comparison::describe() const {
  return concat(ok ? "ok" : "MISMATCH", ": ", count, " elements, norm-wise relative error ",
                norm_rel_error, ", ", nan_count, " NaN, ", bound_violations,
                " outside the element-wise bound; worst at ", worst_index, ": got ", worst_out,
                ", expected ", worst_ref);
}

Comparison compare(const std::vector<double>& out, const std::vector<double>& ref, Tolerance tol) {
  Comparison c;
  UNET3D_USAGE_CHECK(out.size() == ref.size(), "compare: ", out.size(), " values against ",
                     ref.size(), " reference values");
  c.count = static_cast<std::int64_t>(out.size());
  double finite_sq = 0, finite = 0;
  for (const double r : ref) {
    if (!std::isfinite(r)) continue;
    finite_sq += r * r;
    ++finite;
  }
  const double rms = finite > 0 ? std::sqrt(finite_sq / finite) : 0.0;
  const double atol = tol.atol + tol.atol_rms * rms;
  double diff_sq = 0, ref_sq = 0, worst_ratio = -1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double o = out[i], r = ref[i];
    if (std::isnan(o) || std::isnan(r)) {
      ++c.nan_count;
      continue;
    }
    // Equal infinities agree; they stay out of the norms, where they would hide the rest.
    const double diff = o == r ? 0.0 : std::abs(o - r);
    if (std::isfinite(r) || o != r) {
      diff_sq += diff * diff;
      ref_sq += r * r;
    }
    const double bound = atol + tol.rtol * std::abs(r);
    // Equal values agree; an infinity against anything else never does.
    const bool within = o == r || (std::isfinite(o) && std::isfinite(r) && diff <= bound);
    if (!within) ++c.bound_violations;
    const double ratio = bound > 0 ? diff / bound : (diff > 0 ? INFINITY : 0);
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      c.worst_index = static_cast<std::int64_t>(i);
      c.worst_out = o;
      c.worst_ref = r;
    }
  }
  // An all-zero reference leaves only the absolute difference to judge.
  c.norm_rel_error = ref_sq > 0 ? std::sqrt(diff_sq / ref_sq) : std::sqrt(diff_sq);
  c.ok = c.nan_count == 0 && c.bound_violations == 0 && c.norm_rel_error <= tol.norm_rel;
  return c;
}

Comparison compare(const Tensor& out, const Tensor& ref, Tolerance tol) {
  UNET3D_USAGE_CHECK(out.shape() == ref.shape(), "compare: output ", out.describe(),
                     " and reference ", ref.describe(), " differ in shape");
  return compare(to_doubles(out), to_doubles(ref), tol);
}

std::vector<double> to_doubles(const Tensor& t) {
  if (t.is_cuda()) return to_doubles(t.to(Device::cpu));
  std::vector<double> v(static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) {
    switch (t.dtype()) {
      case DType::f16: v[i] = to_float(t.data_as<Half>()[i]); break;
      case DType::f32: v[i] = t.data_as<float>()[i]; break;
      case DType::f64: v[i] = t.data_as<double>()[i]; break;
      case DType::u8: v[i] = t.data_as<std::uint8_t>()[i]; break;
    }
  }
  return v;
}

double dot(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = to_doubles(a), y = to_doubles(b);
  UNET3D_USAGE_CHECK(x.size() == y.size(), "dot: ", a.describe(), " and ", b.describe());
  double total = 0;
  for (std::size_t i = 0; i < x.size(); ++i) total += x[i] * y[i];
  return total;
}

}  // namespace unet3d
