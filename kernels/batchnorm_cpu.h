// BatchNorm3d's passes on the CPU for f32, vectorised where kernels/batchnorm_impl.h's shared
// versions run one value at a time (the backward's sums, one double per term, at about 20 cycles
// a value). The CPU execution policy runs them in place of the shared loops it is handed
// (exec_cpu.h, channel_reduce_cpu.h: `cpu_fast_path`), given the shared loop's whole body. The
// same formulas: the normalisation and dx bit for bit; the backward's sums of g and g * xhat per
// channel are f32 over blocks of rows and f64 across blocks, in an order fixed by the row count,
// so they do not depend on the thread count.
#pragma once

#include <cstdint>

namespace unet3d::batchnorm_impl {

template <class S>
struct Normalize;
template <class S>
struct BackwardTerm;
template <class S>
struct DataGradient;

// The normalisation of `rows` rows.
void cpu_fast_path(const Normalize<float>& body, std::int64_t rows);
// The sums of g and of g * xhat per channel over rows [first, end): sums[2C], overwritten.
void cpu_fast_path(const BackwardTerm<float>& term, std::int64_t first, std::int64_t end,
                   double* sums);
// dx over `rows` rows.
void cpu_fast_path(const DataGradient<float>& body, std::int64_t rows);

}  // namespace unet3d::batchnorm_impl
